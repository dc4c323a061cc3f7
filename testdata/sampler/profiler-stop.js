// Measures what Profiler.stop costs the main thread after the @aws-sdk
// function's init (BENCHMARKS.md, "Stopping the Node.js profiler"):
//   node testdata/sampler/profiler-stop.js   (after npm ci in testdata/node/realistic)
'use strict';
const session = new (require('inspector').Session)();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 5000 });
session.post('Profiler.start');
require('./sdk_client.js');
const c0 = process.cpuUsage();
const t0 = performance.now();
let profile;
session.post('Profiler.stop', (err, res) => { profile = res.profile; });
const t1 = performance.now();
const c1 = process.cpuUsage(c0);
console.log(JSON.stringify({ stopMs: +(t1 - t0).toFixed(1), stopCpuMs: +((c1.user + c1.system) / 1000).toFixed(1), nodes: profile.nodes.length, samples: profile.samples.length }));
