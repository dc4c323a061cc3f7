'use strict';
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
      frame = { start: now(), childNs: 0n, fresh: false, name: '', base: 0, graph: null };
      if (parentFrame) {
        frame.base = parentFrame.base;
      } else if (esm !== null) {
        drainESM();
        if (esm.open !== null) {
          frame.base = 1; // loaded while an ES module graph evaluates: its child
          frame.graph = esm.open;
        }
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
      let depth = frame.base;
      if (frame.graph !== null && stack.length === 0) frame.graph.childNs += cumNs;
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
      write(line(Number(selfNs / 1000n), Number(cumNs / 1000n), depth, frame.name));
    } catch (_) { /* a lost line, never a lost module */ }
  }

  // ES modules. Node 20 gives a preload no way to time an ES module's
  // evaluation; module.register hooks (run on their own thread) see resolution
  // and loading. When the handler is an ES module (or COLDPROF_NODE_ESM=1) we
  // register esm-hooks.mjs and, when the handler's graph has evaluated, print:
  //   - one line per module of the graph at depth 1: its resolve+load time only;
  //   - CommonJS loads made while the graph evaluated, at depth 1 and below;
  //   - one line for the handler module at depth 0: cumulative = from its
  //     resolution to the end of the whole graph's evaluation, self = the rest
  //     (evaluation of every ES module of the graph lands here).
  // Registering the hooks starts a thread (about 20-30 ms on Node 20), so it is
  // not done for CommonJS handlers. COLDPROF_NODE_ESM=0 turns it off.
  function drainESM() {
    for (;;) {
      const got = esm.receive(esm.port);
      if (!got) return;
      const m = got.message;
      if (!m || typeof m !== 'object') continue;
      if (m.kind === 'resolve') {
        esm.resolveNs.set(m.url, (esm.resolveNs.get(m.url) || 0n) + m.ns);
      } else if (m.kind === 'root') {
        esm.open = { url: m.url, startNs: m.startNs, childNs: 0n, loads: [] };
      } else if (m.kind === 'load' && esm.open !== null) {
        esm.open.loads.push(m);
      }
    }
  }

  function esmName(url) {
    if (typeof url !== 'string') return String(url);
    if (url.startsWith('file:')) {
      try {
        return displayName(esm.fileURLToPath(url));
      } catch (_) {
        return url;
      }
    }
    return url; // node:fs, data:, ...
  }

  function esmDone(url) {
    try {
      const end = now();
      drainESM();
      const graph = esm.open;
      if (graph === null || graph.url !== url) return;
      esm.open = null;
      let childNs = graph.childNs;
      let text = '';
      for (const m of graph.loads) {
        // A CommonJS module imported from the graph was timed by the require
        // hook, with its evaluation; its fetch here is left in the root's self.
        if (m.format === 'commonjs' || m.format === 'json') continue;
        const ns = m.loadNs + (esm.resolveNs.get(m.url) || 0n);
        childNs += ns;
        const us = Number(ns / 1000n);
        text += line(us, us, 1, esmName(m.url));
      }
      const cumNs = end - graph.startNs;
      let selfNs = cumNs - childNs;
      if (selfNs < 0n) selfNs = 0n;
      text += line(Number(selfNs / 1000n), Number(cumNs / 1000n), 0, esmName(graph.url));
      write(text);
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
      Module.register(pathToFileURL(path.join(__dirname, 'esm-hooks.mjs')).href, {
        data: { port: channel.port2, taskRootURL },
        transferList: [channel.port2],
      });
      esm = {
        port: channel.port1, receive: receiveMessageOnPort, fileURLToPath,
        resolveNs: new Map(), open: null,
      };
      globalThis[Symbol.for('coldprof.esmDone')] = esmDone;
    }
  } catch (_) {
    esm = null; // ES modules untimed; CommonJS timing goes on
  }
})();
