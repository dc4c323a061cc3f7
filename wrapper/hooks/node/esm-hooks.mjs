// coldprof ES module hooks, registered by coldprof-require.cjs with module.register
// where module.registerHooks is missing (Node 18 and 20; elsewhere the same
// hooks run in the main thread, synchronously, from coldprof-require.cjs),
// only with COLDPROF_NODE_ESM=1: this thread adds 25-33 % to an ES module
// handler's init (BENCHMARKS.md).
//
// Node 18 and 20 run these hooks on a separate thread, before the module graph is
// linked and evaluated. They time resolution and source loading per module and
// send one message per module to the main thread, which prints the lines (see
// coldprof-require.cjs). To learn when each of the function's ES modules (in the
// task root or a node_modules folder, not the runtime's own) has been
// evaluated, the load hook appends one statement to its source:
//
//   ;globalThis[Symbol.for("coldprof.esmEnd")]?.("<url>");
//
// on a line of its own after the module's last line, so line and column numbers
// of the module's code do not move. Which module begins a graph the main
// thread decides (the load message says whether a module got the statement).
//
// Every hook calls the next one exactly once with the original arguments; any
// error of ours is swallowed and the original result returned.

const now = process.hrtime.bigint;
let port = null;
let taskRootURL = '';
let runtimeDirURL = '';

export function initialize(data) {
  try {
    port = data && data.port ? data.port : null;
    taskRootURL = data && data.taskRootURL ? String(data.taskRootURL) : '';
    runtimeDirURL = data && data.runtimeDirURL ? String(data.runtimeDirURL) : '';
    if (port && typeof port.unref === 'function') port.unref();
  } catch (_) {
    port = null;
  }
}

function inTaskRoot(url) {
  return taskRootURL !== '' && typeof url === 'string' && url.startsWith(taskRootURL);
}

// ours says whether a module is the function's: in the task root or in a
// node_modules folder (a layer's /opt/nodejs/node_modules too), not the runtime's.
function ours(url) {
  if (typeof url !== 'string' || !url.startsWith('file:')) return false;
  if (runtimeDirURL !== '' && url.startsWith(runtimeDirURL) && !url.includes('/node_modules/')) return false;
  return inTaskRoot(url) || url.includes('/node_modules/');
}

function post(msg) {
  try {
    if (port) port.postMessage(msg);
  } catch (_) { /* a lost line, never a lost module */ }
}

export async function resolve(specifier, context, nextResolve) {
  const start = now();
  const result = await nextResolve(specifier, context);
  try {
    post({ kind: 'resolve', url: result && result.url, startNs: start, ns: now() - start });
  } catch (_) { /* ignore */ }
  return result;
}

export async function load(url, context, nextLoad) {
  const start = now();
  const result = await nextLoad(url, context);
  let out = result;
  try {
    const end = now();
    const mine = Boolean(result && result.format === 'module' && result.source != null && ours(url));
    post({ kind: 'load', url, startNs: start, loadNs: end - start, format: result && result.format, ours: mine });
    if (mine) {
      const tail = '\n;globalThis[Symbol.for("coldprof.esmEnd")]?.(' + JSON.stringify(url) + ');\n';
      out = { ...result, source: sourceText(result.source) + tail };
    }
  } catch (_) {
    out = result;
  }
  return out;
}

function sourceText(source) {
  if (typeof source === 'string') return source;
  return new TextDecoder().decode(source);
}
