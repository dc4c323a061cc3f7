'use strict';
// Loads the realistic tree the way a handler's global scope would and prints
// how long the require took, "<wall µs> <cpu µs>" (monotonic clock; user+system
// CPU of the process), on stdout.
const start = process.hrtime.bigint();
const cpu = process.cpuUsage();
require('@aws-sdk/client-s3');
const used = process.cpuUsage(cpu);
console.log(String((process.hrtime.bigint() - start) / 1000n), used.user + used.system);
