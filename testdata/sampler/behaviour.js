// Prints what a function could observe that the sampler might change.
'use strict';
const { execFileSync } = require('child_process');
const { Worker } = require('worker_threads');
const fs = require('fs');

const out = [];
out.push(['coldprof env', Object.keys(process.env).filter((k) => k.startsWith('COLDPROF_SAMPLER')).sort()]);
out.push(['NODE_OPTIONS', process.env.NODE_OPTIONS === undefined ? null : process.env.NODE_OPTIONS.includes('coldprof')]);
// A child process: no coldprof variables, no inherited stop pipe (the test
// names the pipe's inode in TEST_STOP_PIPE).
const child = execFileSync(process.execPath, ['-e', `
  const fs = require('fs');
  const pipe = 'pipe:[' + process.env.TEST_STOP_PIPE + ']';
  const has = fs.readdirSync('/proc/self/fd').some((fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd) === pipe; } catch (_) { return false; } });
  console.log(JSON.stringify([Object.keys(process.env).filter((k) => k.startsWith('COLDPROF_SAMPLER')), has]));
`], { encoding: 'utf8' });
out.push(['child', child.trim()]);
let signalled = false;
process.on('SIGUSR2', () => { signalled = true; });
process.kill(process.pid, 'SIGUSR2');
const w = new Worker('const { parentPort } = require("worker_threads"); parentPort.postMessage(6 * 7);', { eval: true });
w.on('message', (m) => {
  out.push(['worker', m]);
  setTimeout(() => {
    out.push(['SIGUSR2', signalled]);
    for (const o of out) console.log(JSON.stringify(o));
  }, 50);
});
