'use strict';
// coldprof's init sampler for Node.js, required by coldprof-require.cjs (before
// it patches the loader) when coldprof-wrapper set COLDPROF_SAMPLER_INTERVAL_US.
//
// It runs V8's CPU profiler through an in-process inspector.Session at the
// interval asked for, from here until init's end:
//   - the proxy writes "init_done <unixUs>" (and "invoke_end <unixUs>") into
//     the stop pipe COLDPROF_SAMPLER_FD, read by an unref'd net.Socket;
//   - at init_done, on the main thread's next turn of the event loop, it stops
//     the profiler and writes init's lines synchronously (fs.writeSync): on
//     Lambda the environment is frozen once the runtime asks for its next
//     event after the first response, and `coldprof run` or Lambda's shutdown
//     kills the runtime after its last event, so a line left for later may
//     never be written. The stop blocks the main thread for a few ms to tens
//     of ms while the first event is handed over (BENCHMARKS.md);
//   - COLDPROF_SAMPLER_INVOKE=on: a second profile samples the first
//     invocation until invoke_end, written after its response (best effort:
//     lost when the environment is frozen or killed first);
//   - without a pipe, or when the proxy closed it early, 10 s after the start
//     ("timeout") or when the process exits ("exit").
// A profile (nodes, samples, timeDeltas on process.hrtime's clock) becomes
// the lines of wrapper/sampleline/doc.go with Unix-µs times: frames and stacks
// of the samples up to the cut, those samples, the cut, then the invocation's.
// Lines are written one write each (at most 4000 bytes, so atomic on a pipe).
// Any error ends sampling with one "error" end line; the function never sees it.
(function startColdprofSampler() {
  const env = process.env;
  const conf = {};
  for (const key of Object.keys(env)) {
    if (key.startsWith('COLDPROF_SAMPLER_')) {
      conf[key] = env[key];
      delete env[key]; // children must not inherit them
    }
  }
  // The main thread only: Node replaces process.chdir in every other thread
  // by a function marked disabled (as coldprof-require.cjs checks; requiring
  // worker_threads for its isMainThread costs 2–5 ms of CPU).
  const chdir = process.chdir;
  if (typeof chdir !== 'function' || chdir.disabled === true) return;
  if (conf.COLDPROF_SAMPLER_PID !== String(process.pid)) return;

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
  // The first invocation is sampled only when asked: its lines can only be
  // written after its response, when the environment may already be frozen.
  const invoke = /^(on|1|true)$/i.test(conf.COLDPROF_SAMPLER_INVOKE || '');
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
  let begun = false; // the begin line is written
  let enc = null;

  function fail(err) {
    if (failed) return;
    failed = true;
    done = true;
    try {
      if (session) session.disconnect();
    } catch (_) { /* ignore */ }
    cleanup();
    const msg = String(err && err.stack ? String(err.stack).split('\n').slice(0, 2).join(' ') : err).slice(0, 300);
    const lines = [];
    if (!begun) lines.push(line('begin', ',"t":' + beginUs + ',"lang":"node","intervalUs":' + (interval || 0)));
    lines.push(line('end', ',"t":' + unixNowUs() + ',"stoppedBy":"error","samples":' + (enc ? enc.taken() : 0) + ',"dropped":' + (enc ? enc.dropped() : 0) + ',"msg":' + jsonStr(msg)));
    writeSync(lines);
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

  // writeSync writes the lines one write(2) each, before it returns: a line
  // still queued when the environment is frozen (Lambda freezes it once the
  // runtime asks for its next event) or killed would be lost. A line is at
  // most 4,000 bytes, so a write to a pipe is all or nothing. When stderr is
  // a full non-blocking pipe (EAGAIN: its reader is behind), the rest goes to
  // writeAsync instead of waiting: the first event must never wait on a log
  // reader, and dropping the lines would leave the report without them.
  function writeSync(lines) {
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i];
      if (text.startsWith(PREFIX + head('begin'))) begun = true;
      if (queued !== null) {
        queued.push(text); // keep the order behind lines still waiting
        continue;
      }
      try {
        fs.writeSync(2, text);
      } catch (err) {
        if (!err || err.code !== 'EAGAIN') return; // stderr gone: lines lost
        writeAsync(lines.slice(i));
        return;
      }
    }
  }

  // queued holds the lines writeAsync still has to write, null when idle.
  let queued = null;

  // writeAsync writes lines in order off the main thread, one write each; a
  // write that fails with EAGAIN is tried again 1 ms later, for at most
  // about 10 s, then the rest is lost.
  function writeAsync(lines) {
    queued = lines.slice();
    let buf = null;
    let waits = 0;
    const next = (err, written) => {
      if (err) {
        if (err.code !== 'EAGAIN' || ++waits > 10000) {
          queued = null; // stderr gone: lines lost
          return;
        }
        setTimeout(() => fs.write(2, buf, 0, buf.length, null, next), 1);
        return;
      }
      if (buf !== null && written < buf.length) buf = buf.subarray(written);
      else if (queued.length > 0) buf = Buffer.from(queued.shift());
      else {
        queued = null;
        return;
      }
      fs.write(2, buf, 0, buf.length, null, next);
    };
    next(null, 0);
  }

  function onExit() {
    try {
      finish(unixNowUs(), 'exit');
    } catch (err) {
      fail(err);
    }
  }

  // stopProfile stops V8's profiler (synchronous: session.post calls back
  // before it returns) and returns its profile.
  function stopProfile() {
    let profile = null;
    let error = null;
    session.post('Profiler.stop', (err, res) => {
      error = err;
      profile = res && res.profile;
    });
    if (error || !profile) throw error || new Error('Profiler.stop returned no profile');
    return profile;
  }

  // atCut runs on the main thread at the first turn of the event loop after
  // the proxy's init_done: it stops the profile and writes init's lines, up
  // to the cut, synchronously, so they are in the log before the first
  // response is posted (after which the environment may be frozen, or the
  // runtime killed, at any moment). With invocation sampling on, a second
  // profile starts at once for the first invocation; the time the stop took
  // is a sample of its own, "(coldprof sampler)", in that invocation.
  function atCut() {
    const calledUs = unixNowUs();
    const profile = stopProfile();
    if (!invoke) {
      enc.addProfile(profile, cutUs);
      enc.finish(cutUs, 'init_done');
      done = true;
      cleanup();
      try {
        session.disconnect();
      } catch (_) { /* ignore */ }
      writeSync(enc.take());
      return;
    }
    enc.addProfile(profile, Math.max(calledUs, cutUs));
    enc.cutHere();
    writeSync(enc.take());
    enc.record(calledUs, -1);
    session.post('Profiler.start', (err) => {
      if (err) throw err;
    });
  }

  // finish stops sampling for good and writes what is left.
  function finish(endUs, stoppedBy) {
    if (done) return;
    done = true;
    cleanup();
    const profile = stopProfile();
    try {
      session.disconnect();
    } catch (_) { /* ignore */ }
    if (enc.cut()) enc.own(enc.toUnix(profile.startTime));
    enc.addProfile(profile, endUs);
    enc.finish(endUs, stoppedBy);
    writeSync(enc.take());
  }

  // newEncoder turns V8 CPU profiles into sampler lines. It keeps the frame
  // and stack tables, the line bound and the last sample's time across the
  // profiles of one process (init's, then the first invocation's).
  function newEncoder(start) {
    // Profile times are µs on process.hrtime's clock; map them to Unix µs.
    const offset = unixNowUs() - Number(process.hrtime.bigint() / 1000n);
    const toUnix = (hr) => hr + offset;
    let out = [];
    let used = 0;
    const frameIds = new Map();
    const stackIds = new Map();
    const frames = newLines('frames');
    const stacks = newLines('stacks');
    const sampleLines = newLines('samples');
    let taken = 0;
    let written = 0;
    let full = false;
    let last = start;
    let prevStack = -1;
    let cutDone = false;
    let ownStack = null;

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
      // Room is kept for the cut (when still to come) and the end.
      if (full || used + pending + 1 + (cutDone ? 1 : 2) > MAX_LINES) {
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
    function frameId(fn, file, ln) {
      const key = fn + '\0' + file + '\0' + ln;
      let id = frameIds.get(key);
      if (id === undefined) {
        id = frameIds.size;
        if (!room(frames, '[' + jsonStr(fn) + ',' + jsonStr(file) + ',' + ln + ']', '"first":' + id + ',"frames":[')) return -1;
        frameIds.set(key, id);
      }
      return id;
    }
    function callFrameId(cf) {
      let file = cf.url || '';
      if (file.startsWith('file://')) {
        try {
          file = fileURLToPath(file);
        } catch (_) { /* keep the URL */ }
      }
      return frameId(cf.functionName || '(anonymous)', file, cf.lineNumber >= 0 ? cf.lineNumber + 1 : 0);
    }
    function stackId(ps, f) {
      const key = ps + ',' + f;
      let s = stackIds.get(key);
      if (s === undefined) {
        s = stackIds.size;
        if (!room(stacks, '[' + ps + ',' + f + ']', '"first":' + s + ',"stacks":[')) return -2;
        stackIds.set(key, s);
      }
      return s;
    }
    // record adds a sample at Unix µs time standing for the time since the
    // previous one; stack -1 (none seen yet) keeps the last stack seen.
    function record(time, stack) {
      if (stack === -1) stack = prevStack;
      if (time <= last || stack === -1) return;
      taken++;
      if (full || stack < 0) return; // -2: the line bound was hit
      const item = '[' + stack + ',' + Math.round(time - last) + ']';
      if (!room(sampleLines, item, '"t":' + Math.round(time) + ',"s":[')) return;
      written++;
      last = Math.round(time);
    }
    function cutHere(fallback) {
      if (cutDone || cutUs === null) return;
      // The time up to the cut goes to the last stack seen before it.
      record(cutUs, prevStack >= 0 ? prevStack : fallback);
      flush();
      out.push(line('cut', ',"t":' + cutUs + ',"at":"init_done"'));
      used++;
      cutDone = true;
    }

    // addProfile adds a profile's samples up to untilUs (Unix µs), writing
    // the cut where the samples pass it.
    function addProfile(profile, untilUs) {
      const nodes = new Map();
      const parent = new Map();
      const nodeStack = new Map();
      for (const n of profile.nodes) {
        nodes.set(n.id, n);
        for (const c of n.children || []) parent.set(c, n.id);
      }
      function stackOf(nodeId) {
        let s = nodeStack.get(nodeId);
        if (s !== undefined) return s;
        const n = nodes.get(nodeId);
        const p = parent.get(nodeId);
        if (!n) return -2;
        if (p === undefined) return -1; // (root)
        const ps = stackOf(p);
        if (ps === -2) return -2;
        const f = callFrameId(n.callFrame);
        if (f < 0) return -2;
        s = stackId(ps, f);
        if (s >= 0) nodeStack.set(nodeId, s);
        return s;
      }
      // A garbage collection is the work of the code that ran before it: V8
      // makes it a root of its own, so it goes under the previous sample's stack.
      const isGC = (id) => {
        const n = nodes.get(id);
        return !!n && n.callFrame.functionName === '(garbage collector)';
      };
      function sampleStack(id) {
        if (!isGC(id) || prevStack < 0) return stackOf(id);
        const f = callFrameId(nodes.get(id).callFrame);
        if (f < 0) return -2;
        return stackId(prevStack, f);
      }
      // Samples in time order (V8's deltas can be negative).
      const samples = [];
      let t = toUnix(profile.startTime);
      for (let i = 0; i < profile.samples.length; i++) {
        t += profile.timeDeltas[i] || 0;
        samples.push([t, profile.samples[i]]);
      }
      samples.sort((a, b) => a[0] - b[0]);
      for (const [time, id] of samples) {
        if (time > untilUs) break;
        if (!cutDone && cutUs !== null && time > cutUs) cutHere(sampleStack(id));
        const st = sampleStack(id);
        if (st === -1) continue; // the root itself
        record(time, st);
        if (st >= 0 && !isGC(id)) prevStack = st;
      }
    }

    return {
      toUnix,
      addProfile,
      cutHere: () => cutHere(-1),
      cut: () => cutDone,
      record,
      taken: () => taken,
      dropped: () => taken - written,
      // own adds a sample up to time of the sampler's own work (the stop
      // at the cut), a root frame "(coldprof sampler)".
      own(time) {
        if (ownStack === null) {
          const f = frameId('(coldprof sampler)', '', 0);
          ownStack = f < 0 ? -2 : stackId(-1, f);
        }
        record(time, ownStack);
      },
      finish(endUs, stoppedBy) {
        cutHere(-1);
        record(endUs, -1);
        flush();
        out.push(line('end', ',"t":' + endUs + ',"stoppedBy":"' + stoppedBy + '","samples":' + taken + ',"dropped":' + (taken - written)));
      },
      begin() {
        out.push(line('begin', ',"t":' + Math.round(start) + ',"lang":"node","intervalUs":' + interval));
        used++;
      },
      take() {
        const lines = out;
        out = [];
        return lines;
      },
    };
  }

  function onPipe(text) {
    for (const l of text.split('\n')) {
      const m = /^(init_done|invoke_end) (\d+)$/.exec(l.trim());
      if (!m || done) continue;
      const t = Number(m[2]);
      if (m[1] === 'init_done' && cutUs === null) {
        cutUs = t;
        atCut();
      } else if (m[1] === 'invoke_end') {
        finish(t, 'invoke_end');
      }
    }
  }

  function startTimer() {
    const left = TIMEOUT_MS - (unixNowUs() - beginUs) / 1000;
    timer = setTimeout(() => {
      try {
        finish(unixNowUs(), 'timeout');
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
    enc = newEncoder(beginUs);
    enc.begin();
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
