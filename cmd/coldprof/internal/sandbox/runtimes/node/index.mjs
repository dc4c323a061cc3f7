// coldprof's Node.js runtime client for `coldprof run --runtime nodejs`: the
// counterpart of Lambda's /var/runtime/index.mjs, small and dependency-free.
//
// It loads the handler the way Lambda's Node.js runtime does (_HANDLER is
// "path/to/file.export" under LAMBDA_TASK_ROOT; file.mjs is imported, file.cjs
// required, file.js imported when its package.json says "type": "module" and
// required otherwise), then loops on the Runtime API: GET next, call the
// handler (async, or with a callback), POST the response or the error.
// Only ES module imports here, so the require hook reports none of the
// client's own loads.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const base = `/2018-06-01/runtime`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const [host, port] = api.split(':');
    const req = http.request({ host, port, path: urlPath, method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function errorBody(err) {
  const e = err instanceof Error ? err : new Error(String(err));
  return JSON.stringify({
    errorType: e.name || 'Error',
    errorMessage: e.message,
    trace: String(e.stack || '').split('\n'),
  });
}

function nearestPackageType(dir) {
  for (let i = 0; i < 64; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      return pkg.type === 'module' ? 'module' : 'commonjs';
    } catch (_) { /* look further up */ }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return 'commonjs';
}

async function loadHandler() {
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const spec = process.env._HANDLER || '';
  const dot = spec.lastIndexOf('.');
  if (dot <= 0) throw Object.assign(new Error(`Bad handler ${spec}`), { name: 'Runtime.MalformedHandlerName' });
  const file = path.resolve(root, spec.slice(0, dot));
  const names = spec.slice(dot + 1).split('.');
  const require = createRequire(path.join(root, 'index.js'));
  let mod;
  if (fs.existsSync(file + '.mjs')) {
    mod = await import(pathToFileURL(file + '.mjs').href);
  } else if (fs.existsSync(file + '.cjs')) {
    mod = require(file + '.cjs');
  } else if (fs.existsSync(file + '.js')) {
    mod = nearestPackageType(path.dirname(file)) === 'module'
      ? await import(pathToFileURL(file + '.js').href)
      : require(file + '.js');
  } else {
    throw Object.assign(new Error(`Cannot find module '${spec.slice(0, dot)}'`), { name: 'Runtime.ImportModuleError' });
  }
  let fn = mod;
  for (const n of names) fn = fn == null ? undefined : fn[n];
  if (typeof fn !== 'function') {
    throw Object.assign(new Error(`${spec} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  }
  return fn;
}

function contextFor(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms'] || 0);
  return {
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

function invoke(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      if (err) reject(err); else resolve(result);
    };
    try {
      const out = handler(event, context, callback);
      if (out && typeof out.then === 'function') {
        out.then((r) => callback(null, r), (e) => callback(e || new Error('handler rejected')));
      } else if (handler.length < 3) {
        callback(null, out);
      }
    } catch (err) {
      callback(err);
    }
  });
}

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    console.error(err);
    await request('POST', `${base}/init/error`, errorBody(err), { 'Lambda-Runtime-Function-Error-Type': err.name || 'Runtime.ImportModuleError' });
    process.exit(1);
  }
  for (;;) {
    const next = await request('GET', `${base}/invocation/next`);
    const id = next.headers['lambda-runtime-aws-request-id'];
    let event;
    try {
      event = JSON.parse(next.body.toString('utf8') || 'null');
    } catch (_) {
      event = next.body.toString('utf8');
    }
    try {
      const result = await invoke(handler, event, contextFor(next.headers));
      const body = result === undefined ? 'null' : JSON.stringify(result);
      await request('POST', `${base}/invocation/${id}/response`, body);
    } catch (err) {
      console.error(err);
      await request('POST', `${base}/invocation/${id}/error`, errorBody(err), { 'Lambda-Runtime-Function-Error-Type': err && err.name || 'Error' });
    }
  }
}

main().catch((err) => {
  console.error('coldprof runtime client:', err);
  process.exit(1);
});
