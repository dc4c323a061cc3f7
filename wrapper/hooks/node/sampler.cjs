'use strict';
// coldprof's init sampler for Node.js, required by coldprof-require.cjs (before
// it patches the loader) when coldprof-wrapper set COLDPROF_SAMPLER_INTERVAL_US.
//
// It runs V8's CPU profiler through an in-process inspector.Session at the
// interval asked for, from here until the first invocation's end:
//   - the proxy writes "init_done <unixUs>" and "invoke_end <unixUs>" into the
//     stop pipe COLDPROF_SAMPLER_FD, read by an unref'd net.Socket;
//   - init_done only records the cut time: stopping the profiler costs the
//     main thread tens of milliseconds (BENCHMARKS.md), which would delay the
//     first event; the profile is stopped at invoke_end, after the first
//     response was posted (COLDPROF_SAMPLER_INVOKE=off: at init_done);
//   - without a pipe, or when the proxy closed it early, 10 s after the start
//     ("timeout") or when the process exits ("exit").
// The profile (nodes, samples, timeDeltas on process.hrtime's clock) becomes
// the lines of wrapper/sampleline/doc.go with Unix-µs times: frames and stacks
// of the samples up to the cut, those samples, the cut, then the invocation's.
// Lines are written one write each (at most 4000 bytes, so atomic on a pipe),
// asynchronously except at exit. Any error ends sampling with one "error" end
// line; the function never sees it.
(function startColdprofSampler() {
  const env = process.env;
  const conf = {};
  for (const key of Object.keys(env)) {
    if (key.startsWith('COLDPROF_SAMPLER_')) {
      conf[key] = env[key];
      delete env[key]; // children must not inherit them
    }
  }
  let threads;
  try {
    threads = require('worker_threads');
  } catch (_) {
    return;
  }
  if (!threads.isMainThread || conf.COLDPROF_SAMPLER_PID !== String(process.pid)) return;

  // Everything is required now, before the require hook patches the loader
  // (a require later would be timed as the function's).
  const fs = require('fs');
  const { fileURLToPath } = require('url');
  const MAX_LINE = 4000; // sampleline.MaxLine
  const MAX_LINES = 256; // sampleline.MaxLinesPerColdStart
  const PREFIX = 'coldprof-sampler: ';
  const TIMEOUT_MS = 10000;
  const MAX_STR = 1200;
  const pid = process.pid;
  const interval = Number.parseInt(conf.COLDPROF_SAMPLER_INTERVAL_US || '', 10);
  const invoke = !/^(off|0|false)$/i.test(conf.COLDPROF_SAMPLER_INVOKE || '');
  const head = (ev) => '{"v":1,"ev":"' + ev + '","pid":' + pid;
  const line = (ev, rest) => PREFIX + head(ev) + rest + '}\n';
  const unixNowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

  let session = null;
  let socket = null;
  let timer = null;
  let beginUs = unixNowUs();
  let cutUs = null;
  let done = false;
  let failed = false;

  function fail(err) {
    if (failed) return;
    failed = true;
    done = true;
    try {
      if (session) session.disconnect();
    } catch (_) { /* ignore */ }
    cleanup();
    const msg = String(err && err.stack ? String(err.stack).split('\n').slice(0, 2).join(' ') : err).slice(0, 300);
    writeSync([
      line('begin', ',"t":' + beginUs + ',"lang":"node","intervalUs":' + (interval || 0)),
      line('end', ',"t":' + unixNowUs() + ',"stoppedBy":"error","samples":0,"dropped":0,"msg":' + jsonStr(msg)),
    ]);
  }

  function cleanup() {
    if (timer) clearTimeout(timer);
    if (socket) socket.destroy();
    process.removeListener('exit', onExit);
  }

  function jsonStr(s) {
    let out = JSON.stringify(String(s)).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
    if (out.length > MAX_STR) {
      out = out.slice(0, MAX_STR - 6);
      const bs = out.lastIndexOf('\\', out.length - 1);
      if (bs >= out.length - 6) out = out.slice(0, bs);
      out += '..."';
    }
    return out;
  }

  function writeSync(lines) {
    for (const text of lines) {
      for (let tries = 0; tries < 50; tries++) {
        try {
          fs.writeSync(2, text);
          break;
        } catch (err) {
          if (!err || err.code !== 'EAGAIN') return; // stderr gone: lines lost
        }
      }
    }
  }

  // writeAsync writes the lines one write each, in order, off the main thread.
  function writeAsync(lines) {
    let i = 0;
    const next = (err) => {
      if (err || i >= lines.length) return;
      const buf = Buffer.from(lines[i++]);
      fs.write(2, buf, 0, buf.length, null, next);
    };
    next(null);
  }

  function onExit() {
    try {
      stop(unixNowUs(), 'exit', true);
    } catch (err) {
      fail(err);
    }
  }

  // stop ends the profile and writes it; at exit synchronously.
  function stop(endUs, stoppedBy, sync) {
    if (done) return;
    done = true;
    cleanup();
    let profile = null;
    let error = null;
    session.post('Profiler.stop', (err, res) => {
      error = err;
      profile = res && res.profile;
    });
    try {
      session.disconnect();
    } catch (_) { /* ignore */ }
    if (error || !profile) throw error || new Error('Profiler.stop returned no profile');
    const lines = toLines(profile, endUs, stoppedBy);
    if (sync) writeSync(lines);
    else writeAsync(lines);
  }

  // toLines turns a V8 CPU profile into sampler lines.
  function toLines(profile, endUs, stoppedBy) {
    // Profile times are µs on process.hrtime's clock; map them to Unix µs.
    const offset = unixNowUs() - Number(process.hrtime.bigint() / 1000n);
    const start = profile.startTime + offset;
    const nodes = new Map();
    const parent = new Map();
    for (const n of profile.nodes) {
      nodes.set(n.id, n);
      for (const c of n.children || []) parent.set(c, n.id);
    }
    // Samples in time order (V8's deltas can be negative).
    const samples = [];
    let t = start;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i] || 0;
      samples.push([t, profile.samples[i]]);
    }
    samples.sort((a, b) => a[0] - b[0]);

    const out = [];
    let used = 0;
    const frameIds = new Map();
    const nodeStack = new Map();
    const stackIds = new Map();
    let frames = newLines('frames');
    let stacks = newLines('stacks');
    let sampleLines = newLines('samples');
    let taken = 0;
    let written = 0;
    let full = false;
    let last = start;
    let prevStack = -1;

    function newLines(kind) {
      return { kind, head: '', items: [], size: 0, lines: [] };
    }
    function room(ls, item, headRest) {
      if (ls.items.length > 0 && ls.size + 1 + item.length + 3 <= MAX_LINE) {
        ls.items.push(item);
        ls.size += 1 + item.length;
        return true;
      }
      const pending = frames.lines.length + stacks.lines.length + sampleLines.lines.length +
        (frames.items.length > 0) + (stacks.items.length > 0) + (sampleLines.items.length > 0);
      if (full || used + pending + 1 + (cutUs !== null && out.cut === undefined ? 2 : 1) > MAX_LINES) {
        full = true;
        return false;
      }
      close(ls);
      ls.head = PREFIX + head(ls.kind) + ',' + headRest;
      ls.items = [item];
      ls.size = ls.head.length + item.length;
      return true;
    }
    function close(ls) {
      if (ls.items.length > 0) ls.lines.push(ls.head + ls.items.join(',') + ']}\n');
      ls.items = [];
    }
    function flush() {
      for (const ls of [frames, stacks, sampleLines]) {
        close(ls);
        for (const l of ls.lines) out.push(l);
        used += ls.lines.length;
        ls.lines = [];
      }
    }
    function frameId(cf) {
      const fn = cf.functionName || '(anonymous)';
      let file = cf.url || '';
      if (file.startsWith('file://')) {
        try {
          file = fileURLToPath(file);
        } catch (_) { /* keep the URL */ }
      }
      const ln = cf.lineNumber >= 0 ? cf.lineNumber + 1 : 0;
      const key = fn + '\0' + file + '\0' + ln;
      let id = frameIds.get(key);
      if (id === undefined) {
        id = frameIds.size;
        if (!room(frames, '[' + jsonStr(fn) + ',' + jsonStr(file) + ',' + ln + ']', '"first":' + id + ',"frames":[')) return -1;
        frameIds.set(key, id);
      }
      return id;
    }
    function stackOf(nodeId) {
      let s = nodeStack.get(nodeId);
      if (s !== undefined) return s;
      const n = nodes.get(nodeId);
      const p = parent.get(nodeId);
      if (!n) return -1;
      if (p === undefined) return -1; // (root)
      const ps = stackOf(p);
      if (ps === -2) return -2;
      const f = frameId(n.callFrame);
      if (f < 0) return -2;
      const key = ps + ',' + f;
      s = stackIds.get(key);
      if (s === undefined) {
        s = stackIds.size;
        if (!room(stacks, '[' + ps + ',' + f + ']', '"first":' + s + ',"stacks":[')) return -2;
        stackIds.set(key, s);
      }
      nodeStack.set(nodeId, s);
      return s;
    }
    // A garbage collection is the work of the code that ran before it: V8
    // makes it a root of its own, so it goes under the previous sample's stack.
    function sampleStack(id) {
      const n = nodes.get(id);
      if (!n || n.callFrame.functionName !== '(garbage collector)' || prevStack < 0) return stackOf(id);
      const f = frameId(n.callFrame);
      if (f < 0) return -2;
      const key = prevStack + ',' + f;
      let s = stackIds.get(key);
      if (s === undefined) {
        s = stackIds.size;
        if (!room(stacks, '[' + prevStack + ',' + f + ']', '"first":' + s + ',"stacks":[')) return -2;
        stackIds.set(key, s);
      }
      return s;
    }
    function record(time, stack) {
      if (time <= last || stack < 0) return;
      taken++;
      if (full) return;
      const item = '[' + stack + ',' + Math.round(time - last) + ']';
      if (!room(sampleLines, item, '"t":' + Math.round(time) + ',"s":[')) return;
      written++;
      last = Math.round(time);
    }

    out.push(line('begin', ',"t":' + Math.round(start) + ',"lang":"node","intervalUs":' + interval));
    used = 1;
    let cutWritten = cutUs === null;
    for (const [time, id] of samples) {
      if (time > endUs) break;
      if (!cutWritten && time > cutUs) {
        // The time up to the cut goes to the last stack seen before it.
        record(cutUs, prevStack >= 0 ? prevStack : sampleStack(id));
        flush();
        out.push(line('cut', ',"t":' + cutUs + ',"at":"init_done"'));
        out.cut = true;
        used++;
        cutWritten = true;
      }
      const st = sampleStack(id);
      record(time, st);
      if (st >= 0 && nodes.get(id).callFrame.functionName !== '(garbage collector)') prevStack = st;
    }
    if (!cutWritten) {
      record(cutUs, prevStack);
      flush();
      out.push(line('cut', ',"t":' + cutUs + ',"at":"init_done"'));
      used++;
      out.cut = true;
    }
    record(endUs, prevStack);
    flush();
    out.push(line('end', ',"t":' + endUs + ',"stoppedBy":"' + stoppedBy + '","samples":' + taken + ',"dropped":' + (taken - written)));
    return out;
  }

  function onPipe(text) {
    for (const l of text.split('\n')) {
      const m = /^(init_done|invoke_end) (\d+)$/.exec(l.trim());
      if (!m || done) continue;
      const t = Number(m[2]);
      if (m[1] === 'init_done' && cutUs === null) {
        cutUs = t;
        if (!invoke) stop(t, 'init_done', false);
      } else if (m[1] === 'invoke_end') {
        stop(t, 'invoke_end', false);
      }
    }
  }

  function startTimer() {
    const left = TIMEOUT_MS - (unixNowUs() - beginUs) / 1000;
    timer = setTimeout(() => {
      try {
        stop(unixNowUs(), 'timeout', false);
      } catch (err) {
        fail(err);
      }
    }, Math.max(0, left));
    timer.unref();
  }

  try {
    if (!(interval >= 100 && interval <= 1000000)) {
      throw new Error('COLDPROF_SAMPLER_INTERVAL_US is not an interval in microseconds between 100 and 1000000');
    }
    const inspector = require('inspector');
    const net = require('net');
    session = new inspector.Session();
    session.connect();
    const check = (err) => {
      if (err) throw err;
    };
    session.post('Profiler.enable', check);
    session.post('Profiler.setSamplingInterval', { interval }, check);
    beginUs = unixNowUs();
    session.post('Profiler.start', check);
    process.on('exit', onExit);
    let fd = Number.parseInt(conf.COLDPROF_SAMPLER_FD || '', 10);
    if (fd >= 0) {
      try {
        // Reopen the pipe close-on-exec (libuv opens with O_CLOEXEC), so
        // processes the function starts do not inherit it.
        const again = fs.openSync('/proc/self/fd/' + fd, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
        fs.closeSync(fd);
        fd = again;
      } catch (_) { /* keep the inherited descriptor */ }
      socket = new net.Socket({ fd, readable: true, writable: false });
      socket.unref();
      socket.setEncoding('utf8');
      let pending = '';
      socket.on('data', (chunk) => {
        try {
          pending += chunk;
          const at = pending.lastIndexOf('\n');
          if (at < 0) return;
          const text = pending.slice(0, at);
          pending = pending.slice(at + 1);
          onPipe(text);
        } catch (err) {
          fail(err);
        }
      });
      socket.on('error', () => { /* a broken pipe: stop by time or at exit */ });
      socket.on('close', () => {
        if (!done && timer === null) startTimer(); // the proxy is gone
      });
    } else {
      startTimer();
    }
  } catch (err) {
    fail(err);
  }
})();
