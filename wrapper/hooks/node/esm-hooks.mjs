// coldprof ES module hooks, registered by coldprof-require.cjs with module.register
// (Node 20.6+) when the function's handler is an ES module.
//
// Node 20 runs these hooks on a separate thread, before the module graph is
// linked and evaluated. They can time resolution and source loading per module,
// never evaluation. They send one message per module to the main thread, which
// prints the handler graph when it has finished evaluating (see
// coldprof-require.cjs). For the graph's root (a module in the task root imported
// from outside it, i.e. the handler imported by the runtime) the load hook appends
// one statement to the source that tells the main thread evaluation is over.
//
// Every hook calls the next one exactly once with the original arguments; any
// error of ours is swallowed.

const now = process.hrtime.bigint;
let port = null;
let taskRootURL = '';
const roots = new Map(); // url -> resolve start (ns)

export function initialize(data) {
  try {
    port = data && data.port ? data.port : null;
    taskRootURL = data && data.taskRootURL ? String(data.taskRootURL) : '';
    if (port && typeof port.unref === 'function') port.unref();
  } catch (_) {
    port = null;
  }
}

function inTaskRoot(url) {
  return taskRootURL !== '' && typeof url === 'string' && url.startsWith(taskRootURL);
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
    const url = result && result.url;
    const parent = context && context.parentURL;
    if (inTaskRoot(url) && !inTaskRoot(parent) && !roots.has(url)) {
      roots.set(url, start);
    }
    post({ kind: 'resolve', url, ns: now() - start });
  } catch (_) { /* ignore */ }
  return result;
}

export async function load(url, context, nextLoad) {
  const start = now();
  const result = await nextLoad(url, context);
  let out = result;
  try {
    const end = now();
    const rootStart = roots.get(url);
    const isRoot = rootStart !== undefined && result && result.format === 'module' && result.source != null;
    if (isRoot) {
      roots.delete(url);
      const tail = '\n;globalThis[Symbol.for("coldprof.esmDone")]?.(' + JSON.stringify(url) + ');\n';
      out = { ...result, source: String(sourceText(result.source)) + tail };
      post({ kind: 'root', url, startNs: rootStart, loadNs: end - start });
    } else {
      post({ kind: 'load', url, startNs: start, loadNs: end - start, format: result && result.format });
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
