'use strict';
try { if (process.env.COLDPROF_SAMPLER_INTERVAL_US) require('./sampler.cjs'); } catch (_) { /* coldprof's init sampler, before the loader is patched; it reports its own errors */ }
// coldprof require hook for Node.js, preloaded with NODE_OPTIONS="--require <this file>".
//
// It times every CommonJS load (Module._load, so require() from any module, nested)
// with process.hrtime.bigint() and writes one line per load to stderr when that load
// finishes, post-order like CPython's -X importtime:
//
//   node require: self [us] | cumulative | imported module
//   node require:       412 |        958 |   lodash/_baseGet.js
//
// Format: "node require: %9d | %10d | <2*depth spaces><name>". self = cumulative
// minus the cumulative of the timed loads nested in it. Lines are written with
// fs.writeSync(2, ...) so they land in order with the wrapper's marker lines.
//
// What is timed: a require() that creates a module (Module.prototype.load runs for
// it), including one that throws (its line is printed, then the error goes on
// unchanged), and the first require() of each builtin (node:fs). What is not:
// requires answered from require.cache (cycles, repeats), failed resolutions
// (MODULE_NOT_FOUND before anything loads), and ES modules, see esm-hooks.mjs.
//
// The hook never breaks the function: every internal step is in try/catch and the
// original loader is always called exactly once with the original arguments.
try {
(function installColdprofRequireHook() {
  const PREFIX = 'node require: ';
  let Module;
  let fs;
  let path;
  let threads;
  let url;
  try {
    // Everything the hook needs is required before require is patched, so the
    // hook's own loads are never reported.
    Module = require('module');
    fs = require('fs');
    path = require('path');
    threads = require('worker_threads');
    url = require('url');
  } catch (_) {
    return;
  }
  if (!threads.isMainThread) {
    return; // Node also preloads into worker threads (and the ESM hooks thread)
  }
  const state = Symbol.for('coldprof.requireHook');
  if (globalThis[state]) {
    return; // preloaded twice (NODE_OPTIONS plus -r): time once
  }
  globalThis[state] = true;

  const now = process.hrtime.bigint;
  const sep = path.sep;
  const taskRoot = withSep(process.env.LAMBDA_TASK_ROOT || '');
  const runtimeDir = withSep(process.env.LAMBDA_RUNTIME_DIR || '');
  let cwd = '';
  try {
    cwd = withSep(process.cwd());
  } catch (_) { /* cwd removed: names stay absolute */ }
  const isBuiltin = typeof Module.isBuiltin === 'function'
    ? Module.isBuiltin
    : (name) => Module.builtinModules.includes(String(name).replace(/^node:/, ''));
  const seenBuiltins = new Set();
  let esm = null; // set when the ES module hooks are registered, see below

  // One frame per Module._load call in progress. A frame is "fresh" once we know
  // the call loads something new; only fresh frames print a line.
  const stack = [];

  function withSep(dir) {
    if (!dir) return '';
    return dir.endsWith(sep) ? dir : dir + sep;
  }

  function write(text) {
    let buf = Buffer.from(text);
    for (let tries = 0; buf.length > 0 && tries < 100; tries++) {
      try {
        const n = fs.writeSync(2, buf);
        buf = buf.subarray(n);
      } catch (err) {
        if (!err || err.code !== 'EAGAIN') return; // stderr gone: drop the line
      }
    }
  }

  // displayName turns a filename into the name a user thinks of: a package name
  // plus the path inside it, a path relative to the task root or cwd, or the
  // absolute path for anything else. Files of the runtime client (under
  // LAMBDA_RUNTIME_DIR) are named /var/runtime/<path>, as on Lambda, also when
  // coldprof run puts its runtime client elsewhere.
  function displayName(filename) {
    const marker = sep + 'node_modules' + sep;
    const at = filename.lastIndexOf(marker);
    if (at >= 0) {
      const rest = filename.slice(at + marker.length);
      return sep === '/' ? rest : rest.split(sep).join('/');
    }
    if (taskRoot && filename.startsWith(taskRoot)) return filename.slice(taskRoot.length);
    if (runtimeDir && filename.startsWith(runtimeDir)) {
      return '/var/runtime/' + filename.slice(runtimeDir.length).split(sep).join('/');
    }
    if (cwd && filename.startsWith(cwd)) return filename.slice(cwd.length);
    return filename;
  }

  function line(selfUs, cumUs, depth, name) {
    const self = String(selfUs).padStart(9);
    const cum = String(cumUs).padStart(10);
    return PREFIX + self + ' | ' + cum + ' | ' + ' '.repeat(2 * depth) + name + '\n';
  }

  write(PREFIX + 'self [us] | cumulative | imported module\n');

  // Take our --require back out of NODE_OPTIONS, so that node processes the
  // function starts do not load the hook too and print their own lines into
  // this process's log; the function sees NODE_OPTIONS as the user set it.
  try {
    const opts = process.env.NODE_OPTIONS;
    if (typeof opts === 'string') {
      const quoted = '"' + __filename.replace(/["\\]/g, (c) => '\\' + c) + '"';
      for (const form of ['--require ' + quoted, '--require ' + __filename, '-r ' + quoted, '-r ' + __filename]) {
        const at = opts.lastIndexOf(form);
        if (at >= 0 && (at + form.length === opts.length || opts[at + form.length] === ' ')) {
          const rest = (opts.slice(0, at) + opts.slice(at + form.length)).replace(/\s+$/, '');
          if (rest.trim() === '') delete process.env.NODE_OPTIONS;
          else process.env.NODE_OPTIONS = rest;
          break;
        }
      }
    }
  } catch (_) { /* children may print lines too; the parsers see their header */ }

  const originalLoad = Module._load;
  const originalModuleLoad = Module.prototype.load;

  // Module.prototype.load runs only for a module that is not cached yet: it marks
  // the innermost open frame fresh and records the file it loads.
  Module.prototype.load = function coldprofModuleLoad(filename) {
    try {
      const top = stack[stack.length - 1];
      if (top && !top.fresh) {
        top.fresh = true;
        top.name = displayName(String(filename));
      }
    } catch (_) { /* never stop the load */ }
    return originalModuleLoad.apply(this, arguments);
  };

  Module._load = function coldprofLoad(request, parent, isMain) {
    let frame = null;
    try {
      const parentFrame = stack[stack.length - 1];
      frame = { start: now(), childNs: 0n, fresh: false, name: '', held: false };
      if (parentFrame) {
        frame.held = parentFrame.held;
      } else if (esm !== null) {
        drainESM();
        // Loaded while an ES module graph evaluates: the line waits until we
        // know which ES module it belongs to (see esmEnd).
        frame.held = esm.open !== null;
      }
      if (typeof request === 'string' && isBuiltin(request)) {
        const id = request.startsWith('node:') ? request : 'node:' + request;
        if (!seenBuiltins.has(id)) {
          seenBuiltins.add(id);
          frame.fresh = true;
          frame.name = id;
        }
      }
      stack.push(frame);
    } catch (_) {
      frame = null;
    }
    try {
      return originalLoad.apply(this, arguments);
    } finally {
      if (frame !== null) finish(frame);
    }
  };

  function finish(frame) {
    try {
      const end = now();
      // Pop up to and including our frame: a frame above it belongs to a load
      // that threw past us without unwinding the stack (should not happen).
      const at = stack.lastIndexOf(frame);
      if (at < 0) return;
      stack.length = at;
      if (!frame.fresh) return;
      const cumNs = end - frame.start;
      let depth = 0;
      for (let i = 0; i < stack.length; i++) {
        if (stack[i].fresh) depth++;
      }
      for (let i = stack.length - 1; i >= 0; i--) {
        if (stack[i].fresh) {
          stack[i].childNs += cumNs;
          break;
        }
      }
      let selfNs = cumNs - frame.childNs;
      if (selfNs < 0n) selfNs = 0n;
      const selfUs = Number(selfNs / 1000n);
      const cumUs = Number(cumNs / 1000n);
      if (frame.held && esm !== null && esm.open !== null) {
        esm.open.held.push({ selfUs, cumUs, depth, name: frame.name });
        if (depth === 0) esm.open.heldNs += cumNs;
        return;
      }
      write(line(selfUs, cumUs, depth, frame.name));
    } catch (_) { /* a lost line, never a lost module */ }
  }

  // ES modules. Node 20 gives a preload no hook around an ES module's
  // evaluation. When the handler is an ES module (or COLDPROF_NODE_ESM=1) we
  // register esm-hooks.mjs (module.register; the hooks run on their own
  // thread). They time each module's resolution and loading, and append one
  // statement to the source of each ES module of the function (task root and
  // node_modules) that calls esmEnd when that module's body has run. ES
  // modules of a static graph are evaluated one after the other, children
  // first, so the time between two consecutive ends is the later module's own
  // evaluation. For the handler's graph we print, when it has evaluated:
  //   - one line per ES module at depth 1, in evaluation order: its
  //     resolution, loading and evaluation (self = that minus the CommonJS
  //     loads it made, which are printed just before it at depth 2 and below);
  //   - builtins it imported at depth 1 (resolution only);
  //   - the handler module at depth 0: cumulative = from its resolution to the
  //     end of its evaluation, everything else in its self time (its own body,
  //     linking, waiting for the hooks thread).
  // An ES module evaluated later on its own (a handler-time dynamic import())
  // gets a depth-0 line of its own from its resolution to its evaluation's end.
  // Registering the hooks starts a thread (about 33 ms on Node 20 here, BENCHMARKS.md), so it is
  // not done for CommonJS handlers. COLDPROF_NODE_ESM=0 turns it off.
  function drainESM() {
    for (;;) {
      const got = esm.receive(esm.port);
      if (!got) return;
      const m = got.message;
      if (!m || typeof m !== 'object') continue;
      if (m.kind === 'resolve') {
        esm.resolveNs.set(m.url, (esm.resolveNs.get(m.url) || 0n) + m.ns);
        if (!esm.resolveStart.has(m.url)) esm.resolveStart.set(m.url, m.startNs);
      } else if (m.kind === 'root' && esm.open === null) {
        // (A root while a graph is open, say a task-root module imported from
        // a layer, is just one more module of that graph.)
        esm.open = { url: m.url, startNs: m.startNs, lastEndNs: 0n, held: [], heldNs: 0n, lines: [], childNs: 0n, loads: new Map() };
      } else if (m.kind === 'load') {
        esm.loaded.set(m.url, m);
        if (esm.open !== null) esm.open.loads.set(m.url, m);
      }
    }
  }

  function esmName(u) {
    if (typeof u !== 'string') return String(u);
    if (u.startsWith('file:')) {
      try {
        return displayName(esm.fileURLToPath(u));
      } catch (_) {
        return u;
      }
    }
    return u; // node:fs, data:, ...
  }

  function fetchNs(u) {
    const m = esm.loaded.get(u);
    return (m ? m.loadNs : 0n) + (esm.resolveNs.get(u) || 0n);
  }

  // heldText renders the CommonJS lines held during one module's evaluation
  // under a parent at depth base-1.
  function heldText(graph, base) {
    let text = '';
    for (const h of graph.held) text += line(h.selfUs, h.cumUs, h.depth + base, h.name);
    graph.held = [];
    graph.heldNs = 0n;
    return text;
  }

  function esmEnd(u) {
    try {
      const end = now();
      drainESM();
      const graph = esm.open;
      if (graph === null) {
        // Evaluated outside the handler's graph: a dynamic import() later on.
        const start = esm.resolveStart.get(u);
        if (start === undefined || esm.ended.has(u)) return;
        esm.ended.add(u);
        const cumNs = end - (start > esm.lastEndNs ? start : esm.lastEndNs);
        esm.lastEndNs = end;
        const us = Number((cumNs > 0n ? cumNs : 0n) / 1000n);
        write(line(us, us, 0, esmName(u)));
        return;
      }
      if (graph.lastEndNs === 0n) {
        // The first module to finish: its evaluation began after the last
        // module of the graph was loaded.
        let loaded = graph.startNs;
        for (const m of graph.loads.values()) {
          const e = m.startNs + m.loadNs;
          if (e > loaded) loaded = e;
        }
        graph.lastEndNs = loaded < end ? loaded : end;
      }
      const evalNs = end - graph.lastEndNs;
      graph.lastEndNs = end;
      esm.ended.add(u);
      if (u !== graph.url) {
        const cumNs = evalNs + fetchNs(u);
        let selfNs = cumNs - graph.heldNs;
        if (selfNs < 0n) selfNs = 0n;
        graph.childNs += cumNs;
        graph.lines.push(heldText(graph, 2) + line(Number(selfNs / 1000n), Number(cumNs / 1000n), 1, esmName(u)));
        return;
      }
      finishGraph(graph, end);
    } catch (_) { /* a lost line, never a lost module */ }
  }

  // finishGraph prints the handler's graph: its modules' lines, the CommonJS
  // loads its own body made, its builtins, and its own line at depth 0.
  function finishGraph(graph, end) {
    esm.open = null;
    esm.lastEndNs = end;
    const childHeldNs = graph.heldNs; // the handler module's own CommonJS loads
    let text = graph.lines.join('') + heldText(graph, 1);
    let childNs = graph.childNs + childHeldNs;
    for (const m of graph.loads.values()) {
      if (m.format !== 'builtin') continue; // the others have lines, or are CommonJS (timed by require)
      const ns = fetchNs(m.url);
      childNs += ns;
      text += line(Number(ns / 1000n), Number(ns / 1000n), 1, esmName(m.url));
    }
    const cumNs = end - graph.startNs;
    let selfNs = cumNs - childNs;
    if (selfNs < 0n) selfNs = 0n;
    text += line(Number(selfNs / 1000n), Number(cumNs / 1000n), 0, esmName(graph.url));
    write(text);
  }

  // A graph whose evaluation threw never reaches its end statement; when the
  // process exits (the runtime reports the init error and stops), print what
  // was measured, the handler's line running until the exit.
  function flushOnExit() {
    try {
      if (esm === null) return;
      drainESM();
      if (esm.open !== null) finishGraph(esm.open, now());
    } catch (_) { /* ignore */ }
  }

  function nearestPackageType(dir) {
    for (let i = 0; i < 64; i++) {
      try {
        const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
        return pkg && typeof pkg.type === 'string' ? pkg.type : 'commonjs';
      } catch (_) { /* no or bad package.json: look further up */ }
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
    return 'commonjs';
  }

  // handlerIsESM applies Lambda's rule: _HANDLER "dir/file.fn" names
  // $LAMBDA_TASK_ROOT/dir/file.mjs, or file.js in a "type": "module" package.
  function handlerIsESM() {
    const handler = process.env._HANDLER || '';
    const root = process.env.LAMBDA_TASK_ROOT || '';
    if (handler === '' || root === '') return false;
    const dot = handler.lastIndexOf('.');
    const base = path.resolve(root, dot > 0 ? handler.slice(0, dot) : handler);
    if (fs.existsSync(base + '.mjs')) return true;
    if (fs.existsSync(base + '.js')) return nearestPackageType(path.dirname(base)) === 'module';
    return false;
  }

  try {
    const want = process.env.COLDPROF_NODE_ESM;
    if (want !== '0' && typeof Module.register === 'function' && (want === '1' || handlerIsESM())) {
      const { MessageChannel, receiveMessageOnPort } = threads;
      const { pathToFileURL, fileURLToPath } = url;
      const channel = new MessageChannel();
      channel.port1.unref();
      const rootDir = taskRoot || cwd;
      const taskRootURL = rootDir ? pathToFileURL(rootDir).href.replace(/\/?$/, '/') : '';
      const runtimeDirURL = runtimeDir ? pathToFileURL(runtimeDir).href.replace(/\/?$/, '/') : '';
      Module.register(pathToFileURL(path.join(__dirname, 'esm-hooks.mjs')).href, {
        data: { port: channel.port2, taskRootURL, runtimeDirURL },
        transferList: [channel.port2],
      });
      esm = {
        port: channel.port1, receive: receiveMessageOnPort, fileURLToPath,
        resolveNs: new Map(), resolveStart: new Map(), loaded: new Map(), ended: new Set(),
        open: null, lastEndNs: 0n,
      };
      globalThis[Symbol.for('coldprof.esmEnd')] = esmEnd;
      process.on('exit', flushOnExit);
    }
  } catch (_) {
    esm = null; // ES modules untimed; CommonJS timing goes on
  }
})();
} catch (_) { /* a preload that throws would stop node: never */ }
