// Imports an ES module handler the way Lambda's runtime does (dynamic import()
// from a runtime file outside the task root) and prints how long the import
// took, "<wall µs> <cpu µs>" (monotonic clock; user+system CPU of the whole
// process), on stdout, for the hook benchmarks. The handler file is
// $LAMBDA_TASK_ROOT/<argv[2]>, handler.mjs by default.
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const file = path.join(process.env.LAMBDA_TASK_ROOT, process.argv[2] || 'handler.mjs');
const start = process.hrtime.bigint();
const cpu = process.cpuUsage();
await import(pathToFileURL(file).href);
const used = process.cpuUsage(cpu);
console.log(String((process.hrtime.bigint() - start) / 1000n), used.user + used.system);
