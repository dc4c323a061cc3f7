// Loads app/handler.mjs the way Lambda's runtime loads an ES module handler
// (dynamic import() from a runtime file outside the task root), then calls it.
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const root = process.env.LAMBDA_TASK_ROOT;
const mod = await import(pathToFileURL(path.join(root, 'handler.mjs')).href);
console.log(JSON.stringify(await mod.handler({ hello: 'world' })));
