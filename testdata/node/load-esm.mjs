// Imports the ES module handler app/handler.mjs the way Lambda's runtime does
// and prints how long the import took, "<wall µs> <cpu µs>", on stdout (for
// the hook benchmarks).
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const start = process.hrtime.bigint();
const cpu = process.cpuUsage();
await import(pathToFileURL(path.join(process.env.LAMBDA_TASK_ROOT, 'handler.mjs')).href);
const used = process.cpuUsage(cpu);
console.log(String((process.hrtime.bigint() - start) / 1000n), used.user + used.system);
