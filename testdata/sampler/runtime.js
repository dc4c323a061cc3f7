// A stand-in for Lambda's Node.js runtime client, for the sampler tests (see
// runtime.py): requires the handler module named in argv[2] (init), says
// "next" and waits for a line on stdin, calls its handler, says "response",
// waits again, then prints "truth <json>" with the module's TRUTH and
// _initCpu, the process's CPU seconds when init was over.
'use strict';
const path = require('path');
const readline = require('readline');

const mod = require(path.resolve(process.argv[2]));
const cpu = process.cpuUsage(); // the whole process since it started
const initCpu = (cpu.user + cpu.system) / 1e6;
const rl = readline.createInterface({ input: process.stdin });
let step = 0;
process.stdout.write('next\n');
rl.on('line', async () => {
  step++;
  if (step === 1) {
    if (mod.handler) await mod.handler();
    process.stdout.write('response\n');
  } else {
    process.stdout.write('truth ' + JSON.stringify({ ...(mod.TRUTH || {}), _initCpu: initCpu }) + '\n');
    rl.close();
    process.stdin.destroy();
  }
});
