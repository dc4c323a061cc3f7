// Profiler.start's CPU before and after the @aws-sdk import (WHEN=early or
// late): its cost grows with the code that exists when it starts.
import inspector from 'node:inspector';
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const handler = new URL('../realistic/s3.mjs', import.meta.url).href;
const s = new inspector.Session();
s.connect();
s.post('Profiler.enable');
s.post('Profiler.setSamplingInterval', { interval: 5000 });
const when = process.env.WHEN || 'early';
if (when === 'late') await import(handler);
let t = cpu();
s.post('Profiler.start');
const start = cpu() - t;
if (when !== 'late') await import(handler);
t = cpu();
let nodes = 0;
s.post('Profiler.stop', (e, r) => { nodes = r.profile.nodes.length; });
const stop = cpu() - t;
console.log(`${process.version} ${when} start=${start.toFixed(1)} stop=${stop.toFixed(1)} nodes=${nodes}`);
