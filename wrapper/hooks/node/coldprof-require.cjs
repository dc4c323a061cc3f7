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
// (MODULE_NOT_FOUND before anything loads), and ES modules, see below.
//
// The hook never breaks the function: every internal step is in try/catch and the
// original loader is always called exactly once with the original arguments.
// isWorkerThread says whether this is a worker thread; when in doubt (no
// process.chdir at all) it asks worker_threads.
function isWorkerThread() {
  const chdir = process.chdir;
  if (typeof chdir === 'function') return chdir.disabled === true;
  return !require('worker_threads').isMainThread;
}
try {
(function installColdprofRequireHook() {
  const PREFIX = 'node require: ';
  // Node also preloads into worker threads (and Node 20's ES module hooks
  // thread): time the main thread only. Node replaces process.chdir in every
  // thread but the main one by a function marked disabled (Node 12 to 26);
  // require('worker_threads').isMainThread says the same but costs 2–5 ms of
  // CPU in the main thread, where nothing has loaded it yet (BENCHMARKS.md).
  if (isWorkerThread()) return;
  let Module;
  let fs;
  let path;
  let url;
  try {
    // Everything the hook needs is required before require is patched, so the
    // hook's own loads are never reported.
    Module = require('module');
    fs = require('fs');
    path = require('path');
    url = require('url');
  } catch (_) {
    return;
  }
  const state = Symbol.for('coldprof.requireHook');
  if (globalThis[state]) {
    return; // preloaded twice (NODE_OPTIONS plus -r): time once
  }
  globalThis[state] = true;
  // Whether ES modules are timed is decided now, so that Node 18 and 20's
  // worker_threads (for module.register's port) is required before the
  // loader is patched, and only when it is used. Where module.register is
  // the only way (Node 18, 20, 22 before 22.15), its hooks thread adds 25–33 %
  // to an ES module handler's init (BENCHMARKS.md), so it is used only with
  // COLDPROF_NODE_ESM=1; an ES module handler there gets a warning marker
  // instead, which the report shows: its ES modules are not timed.
  let esmWay = '';
  let threads = null;
  let esmSkipped = false;
  try {
    const want = process.env.COLDPROF_NODE_ESM;
    const sync = typeof Module.registerHooks === 'function';
    if (want !== '0' && (sync || typeof Module.register === 'function') && (want === '1' || handlerIsESM())) {
      if (sync) {
        esmWay = 'registerHooks';
      } else if (want === '1') {
        esmWay = 'register';
        threads = require('worker_threads');
      } else {
        esmSkipped = true;
      }
    }
  } catch (_) {
    esmWay = ''; // ES modules untimed; CommonJS timing goes on
  }

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
  if (esmSkipped) {
    // A marker of wrapper/marker's grammar; the report lists its warnings.
    const t = Math.round((performance.timeOrigin + performance.now()) * 1000);
    write('coldprof: {"v":1,"ev":"warning","t":' + t + ',"msg":"Node.js ' + process.versions.node.split('.')[0] +
      ': ES modules not timed (only CommonJS): module.register, the only ES module hook here, adds 25-33 % to init; COLDPROF_NODE_ESM=1 times them"}\n');
  }

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
      frame = { start: now(), childNs: 0n, fresh: false, name: '', held: false, paused: false };
      if (parentFrame) {
        frame.held = parentFrame.held;
      } else if (esm !== null) {
        drainESM();
        // Loaded while an ES module graph evaluates: the line waits until we
        // know which ES module it belongs to (see esmEnd).
        frame.held = esm.open !== null;
        if (!isMain) frame.paused = pauseESM();
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
      if (frame !== null) {
        finish(frame);
        if (frame.paused) resumeESM();
      }
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
        if (depth === 0) esm.open.heldNs += Number(cumNs);
        return;
      }
      write(line(selfUs, cumUs, depth, frame.name));
    } catch (_) { /* a lost line, never a lost module */ }
  }

  // ES modules. No Node version gives a preload a hook around an ES module's
  // evaluation, so the hooks time each module's resolution and loading, and
  // the load hook appends one statement to the source of each ES module of
  // the function (task root and node_modules) that calls esmEnd when that
  // module's body has run. ES modules of a static graph are evaluated one
  // after the other, children first, so the time between two consecutive ends
  // is the later module's own evaluation. For the handler's graph we print,
  // when it has evaluated:
  //   - one line per ES module at depth 1, in evaluation order: its
  //     resolution, loading and evaluation (self = that minus the CommonJS
  //     loads it made, which are printed just before it at depth 2 and below);
  //     with the synchronous hook, no resolution, but its compilation and
  //     its imports' resolution while the graph links (linkNs, see syncLoad);
  //   - builtins it imported at depth 1 (resolution only);
  //   - the handler module at depth 0: cumulative = from its resolution (its
  //     load with the synchronous hook) to the end of its evaluation, everything else in its self time (its own body,
  //     linking, and on Node 20 waiting for the hooks thread).
  // A graph begins with the first ES module of the function's loaded while no
  // graph is open: the handler, imported by the runtime, or later a module a
  // handler imports with import(), whose graph is printed the same way. An ES
  // module evaluated outside any graph (its graph ended first, top-level
  // await) gets a depth-0 line from its resolution to its evaluation's end.
  //
  // Where module.registerHooks exists (Node 22.15+, 23.5+) the hook is the
  // synchronous load hook below, run in this thread (no resolve hook: see
  // syncLoad). Elsewhere (Node 20)
  // esm-hooks.mjs is registered with module.register, which runs it on a
  // thread of its own that takes about 33 ms to start (BENCHMARKS.md);
  // module.register is never called where registerHooks exists (Node 26
  // deprecates it at run time, DEP0205), and only with COLDPROF_NODE_ESM=1
  // (see esmWay). Either is registered only when the handler is an ES module
  // (or COLDPROF_NODE_ESM=1): registered hooks make every require() slower,
  // see pauseESM.
  // CommonJS stays timed by Module._load above on every version: the load
  // hook returns a module's source before it runs, so it cannot bracket a
  // require()'s evaluation and nested requires the way Module._load does.
  // COLDPROF_NODE_ESM=0 turns ES module timing off, =1 on for any handler
  // and with module.register.
  // Every time below is a Number of nanoseconds from esm.now(): on Node 22+
  // performance.now() (no allocation, for the loads and ends of a big
  // graph); on Node 20 hrtime, as in the hooks thread (see install).
  // esm.mods holds one record per module URL, esm.list the same records in
  // load order:
  //   { url, resolveNs, resolveStart, loadStart, loadNs, format, ours, ended, index, linkNs }
  // (ours: an ES module of the function's, which gets an end statement;
  // linkNs: with the synchronous hook, its compilation and its imports'
  // resolution while the graph linked, see syncLoad).
  function mod(u) {
    let m = esm.mods.get(u);
    if (m === undefined) {
      m = { url: u, resolveNs: 0, resolveStart: -1, loadStart: -1, loadNs: 0, format: '', ours: false, ended: false, index: esm.list.length, linkNs: 0 };
      esm.mods.set(u, m);
      esm.list.push(m);
    }
    return m;
  }

  function recordResolve(u, startNs, ns) {
    const m = mod(u);
    m.resolveNs += ns;
    if (m.resolveStart < 0) m.resolveStart = startNs;
  }

  // recordLoad notes one module's load. The first ES module of the function's
  // loaded while no graph is open begins one.
  function recordLoad(u, startNs, ns, format, ours) {
    const m = mod(u);
    m.loadStart = startNs;
    m.loadNs = ns;
    m.format = typeof format === 'string' ? format : '';
    m.ours = ours === true;
    if (esm.open === null && m.ours && m.format === 'module') {
      esm.open = {
        mod: m, startNs: m.resolveStart >= 0 && m.resolveStart < startNs ? m.resolveStart : startNs,
        lastEndNs: -1, held: [], heldNs: 0, done: [], childNs: 0, loads: [],
      };
    }
    if (esm.open !== null) esm.open.loads.push(m);
    return m;
  }

  // drainESM takes in what the Node 20 hooks thread measured (hrtime, made
  // relative to esm.base); the synchronous hooks record directly.
  function drainESM() {
    if (esm.port === null) return;
    for (;;) {
      const got = esm.receive(esm.port);
      if (!got) return;
      const m = got.message;
      if (!m || typeof m !== 'object' || typeof m.url !== 'string') continue;
      if (m.kind === 'resolve') recordResolve(m.url, Number(m.startNs - esm.base), Number(m.ns));
      else if (m.kind === 'load') recordLoad(m.url, Number(m.startNs - esm.base), Number(m.loadNs), m.format, m.ours);
    }
  }

  function esmName(u) {
    if (typeof u !== 'string') return String(u);
    if (u.startsWith('file:')) {
      // A URL from the resolver with nothing escaped is its path (fast);
      // anything else goes through fileURLToPath.
      if (u.startsWith('file:///') && !u.includes('%') && sep === '/') return displayName(u.slice(7));
      try {
        return displayName(esm.fileURLToPath(u));
      } catch (_) {
        return u;
      }
    }
    return u; // node:fs, data:, ...
  }

  function us(ns) {
    return ns > 0 ? Math.floor(ns / 1000) : 0;
  }

  // heldText renders the CommonJS lines held during one module's evaluation
  // under a parent at depth base-1.
  function heldText(held, base) {
    let text = '';
    for (const h of held) text += line(h.selfUs, h.cumUs, h.depth + base, h.name);
    return text;
  }

  function esmEnd(which) {
    try {
      const end = esm.now();
      if (esm.port !== null) drainESM();
      const m = typeof which === 'number' ? esm.list[which] : esm.mods.get(which);
      if (m === undefined || m.ended) return;
      m.ended = true;
      const graph = esm.open;
      if (graph === null) {
        // Evaluated outside any graph.
        const start = m.resolveStart >= 0 ? m.resolveStart : m.loadStart;
        const cumNs = end - (start > esm.lastEndNs ? start : esm.lastEndNs);
        esm.lastEndNs = end;
        write(line(us(cumNs), us(cumNs), 0, esmName(m.url)));
        return;
      }
      if (graph.lastEndNs < 0) {
        // The first module to finish: its evaluation began after the last
        // module of the graph was loaded.
        let loaded = graph.startNs;
        for (const l of graph.loads) {
          const e = l.loadStart + l.loadNs;
          if (e > loaded) loaded = e;
        }
        graph.lastEndNs = loaded < end ? loaded : end;
      }
      const evalNs = end - graph.lastEndNs;
      graph.lastEndNs = end;
      if (m !== graph.mod) {
        // On Node 20 the hooks thread resolves and loads many modules at
        // once: their times overlap, so a module gets its evaluation only.
        const cumNs = evalNs + (esm.port === null ? m.loadNs + m.resolveNs + m.linkNs : 0);
        graph.childNs += cumNs;
        // The lines are made when the graph ends: this runs in the
        // function's init once per ES module, so it only takes note.
        let held = null;
        if (graph.held.length > 0) {
          held = graph.held;
          graph.held = [];
        }
        graph.done.push({ m, selfNs: cumNs - graph.heldNs, cumNs, held });
        graph.heldNs = 0;
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
    let childNs = graph.childNs + graph.heldNs; // the latter: the handler's own CommonJS loads
    let text = '';
    for (const d of graph.done) {
      if (d.held !== null) text += heldText(d.held, 2);
      text += line(us(d.selfNs), us(d.cumNs), 1, esmName(d.m.url));
    }
    text += heldText(graph.held, 1);
    for (const m of graph.loads) {
      if (m.format !== 'builtin') continue; // the others have lines, or are CommonJS (timed by require)
      const ns = m.loadNs + m.resolveNs;
      childNs += ns;
      text += line(us(ns), us(ns), 1, esmName(m.url));
    }
    const cumNs = end - graph.startNs;
    text += line(us(cumNs - childNs), us(cumNs), 0, esmName(graph.mod.url));
    write(text);
  }

  // A graph whose evaluation threw never reaches its end statement; when the
  // process exits (the runtime reports the init error and stops), print what
  // was measured, the handler's line running until the exit.
  function flushOnExit() {
    try {
      if (esm === null) return;
      drainESM();
      if (esm.open !== null) finishGraph(esm.open, esm.now());
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

  // Registered hooks slow every require() down (about 10 % of loading
  // @aws-sdk/client-s3 on Node 22 and 24, BENCHMARKS.md), so while a
  // CommonJS tree loads (the outermost Module._load but the main module's)
  // the synchronous hooks are taken out and put back when it is done. (So an
  // ES module that a CommonJS module imports while it loads, by import() or
  // require(), is not timed.)
  function pauseESM() {
    try {
      if (esm.hooks === null) return false;
      esm.hooks.deregister();
      esm.hooks = null;
      return true;
    } catch (_) {
      return false;
    }
  }

  function resumeESM() {
    try {
      esm.hooks = Module.registerHooks({ load: syncLoad });
    } catch (_) { /* ES modules untimed from here on */ }
  }

  // The synchronous load hook (module.registerHooks). A require() passes
  // through it too (one from the main module, or when deregister is
  // missing), inside Module._load, which times it: it hands it straight on.
  // It calls the next hook exactly once with the original arguments and
  // returns its result unchanged, except an ES module of the function's,
  // whose source gets the end statement (as in esm-hooks.mjs, but naming the
  // module by its index in esm.list rather than its URL).
  let taskRootURL = '';
  let runtimeDirURL = '';

  function fromImport(context) {
    const conditions = context && context.conditions;
    return !conditions || !conditions.includes('require');
  }

  function inTaskRoot(u) {
    return taskRootURL !== '' && typeof u === 'string' && u.startsWith(taskRootURL);
  }

  // ours says whether a module is the function's: in the task root or in a
  // node_modules folder (a layer's /opt/nodejs/node_modules too), not the runtime's.
  function ours(u) {
    if (typeof u !== 'string' || !u.startsWith('file:')) return false;
    if (runtimeDirURL !== '' && u.startsWith(runtimeDirURL) && !u.includes('/node_modules/')) return false;
    return inTaskRoot(u) || u.includes('/node_modules/');
  }

  function syncLoad(u, context, nextLoad) {
    if (!fromImport(context)) return nextLoad(u, context);
    let start = -1;
    try {
      start = esm.now();
    } catch (_) { /* untimed */ }
    const result = nextLoad(u, context);
    try {
      const format = result && result.format;
      const mine = format === 'module' && result.source != null && ours(u);
      if (start < 0) return result;
      const end = esm.now();
      // No resolve hook: Node runs its hook chain for every import
      // statement (2,304 for lodash-es's 640 modules), which cost more than
      // the rest of the ES module timing together (BENCHMARKS.md). While a
      // graph links, Node compiles each module it loaded and resolves its
      // imports, loading each module it has not seen yet; so the time from
      // the end of one load to the start of the next is mostly the last ES
      // module's compilation and the resolution of its import statements,
      // and is counted as that module's (linkNs; loads of builtins and
      // CommonJS sources in between keep their own times). It also holds
      // the resolution of the next module's specifier, a lookup, seldom
      // more than a compile. Only while the graph links: a load during its
      // evaluation (an import()) gets its own load time alone.
      const graph = esm.open;
      const prev = esm.lastModule;
      if (graph !== null && graph.lastEndNs < 0 && prev !== null && esm.lastLoadEndNs >= graph.startNs && start > esm.lastLoadEndNs) {
        prev.linkNs += start - esm.lastLoadEndNs;
      }
      const m = recordLoad(u, start, end - start, format, mine);
      esm.lastLoadEndNs = end;
      if (m.format === 'module') esm.lastModule = m;
      if (mine) {
        const source = typeof result.source === 'string' ? result.source : esm.decoder.decode(result.source);
        return { ...result, source: source + '\n;globalThis[Symbol.for("coldprof.esmEnd")]?.(' + m.index + ');\n' };
      }
    } catch (_) { /* the original result, untouched */ }
    return result;
  }

  try {
    if (esmWay !== '') {
      const sync = esmWay === 'registerHooks';
      const { pathToFileURL, fileURLToPath } = url;
      const rootDir = taskRoot || cwd;
      taskRootURL = rootDir ? pathToFileURL(rootDir).href.replace(/\/?$/, '/') : '';
      runtimeDirURL = runtimeDir ? pathToFileURL(runtimeDir).href.replace(/\/?$/, '/') : '';
      const base = now();
      esm = {
        port: null, receive: null, fileURLToPath, decoder: new TextDecoder(),
        mods: new Map(), list: [], lastModule: null, lastLoadEndNs: -1, open: null, lastEndNs: -1, base, hooks: null,
        now: () => Number(now() - base),
      };
      if (sync) {
        const perf = globalThis.performance;
        const origin = perf.now();
        esm.now = () => (perf.now() - origin) * 1e6;
        const hooks = Module.registerHooks({ load: syncLoad });
        if (hooks && typeof hooks.deregister === 'function') esm.hooks = hooks;
      } else {
        const { MessageChannel, receiveMessageOnPort } = threads;
        const channel = new MessageChannel();
        channel.port1.unref();
        Module.register(pathToFileURL(path.join(__dirname, 'esm-hooks.mjs')).href, {
          data: { port: channel.port2, taskRootURL, runtimeDirURL },
          transferList: [channel.port2],
        });
        esm.port = channel.port1;
        esm.receive = receiveMessageOnPort;
      }
      globalThis[Symbol.for('coldprof.esmEnd')] = esmEnd;
      process.on('exit', flushOnExit);
    }
  } catch (_) {
    esm = null; // ES modules untimed; CommonJS timing goes on
  }
})();
} catch (_) { /* a preload that throws would stop node: never */ }
