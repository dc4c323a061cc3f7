// The CPU of requiring each builtin the hook and sampler use, in a fresh
// process, in this order.
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const out = [];
let t = cpu();
for (const name of ['module', 'fs', 'path', 'url', 'worker_threads', 'inspector', 'net']) {
  require(name);
  const n = cpu();
  out.push(name + '=' + (n - t).toFixed(2));
  t = n;
}
console.log(process.version + ' ' + out.join(' '));
