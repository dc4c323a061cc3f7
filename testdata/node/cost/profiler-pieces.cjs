'use strict';
// Preload for measuring what V8's CPU profiler costs a Node.js init, piece by
// piece (wrapper/hooks/BENCHMARKS.md, "Node.js observer effect"). V picks how
// far it goes at preload time, as coldprof's sampler would:
//   none       nothing
//   session    require('inspector'), a Session, connect
//   enable     + Profiler.enable, Profiler.setSamplingInterval (IV µs, default 5000)
//   start      + Profiler.start, running until exit, stopped there
//   startstop  + Profiler.start and Profiler.stop at once (start's cost alone)
//   debugger   session + Debugger.enable instead of the profiler
// FLAGS: V8 flags to set first (v8.setFlagsFromString). At exit it writes
// "RES pre=<ms> stop=<ms> nodes=<n> total=<ms>" to stderr: the CPU of the
// preload's own steps, of Profiler.stop, and of the whole process.
const V = process.env.V || 'none';
const iv = Number(process.env.IV || 5000);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const t0 = cpu();
if (process.env.FLAGS) require('v8').setFlagsFromString(process.env.FLAGS);
let session;
if (V !== 'none') {
  const inspector = require('inspector');
  session = new inspector.Session();
  session.connect();
  if (V === 'debugger') session.post('Debugger.enable');
  else if (V !== 'session') {
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: iv });
    if (V !== 'enable') session.post('Profiler.start');
    if (V === 'startstop') session.post('Profiler.stop');
  }
}
const pre = cpu() - t0;
process.on('exit', () => {
  let stopMs = 0;
  let nodes = 0;
  if (V === 'start') {
    const s = cpu();
    session.post('Profiler.stop', (e, r) => { nodes = r.profile.nodes.length; });
    stopMs = cpu() - s;
  }
  require('fs').writeSync(2, `RES pre=${pre.toFixed(2)} stop=${stopMs.toFixed(2)} nodes=${nodes} total=${cpu().toFixed(1)}\n`);
});
