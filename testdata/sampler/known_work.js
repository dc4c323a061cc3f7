// Init with known work: a busy loop and a synchronous sleep in named
// functions; the handler spins too (it must land after the cut).
'use strict';
const TRUTH = {};
exports.TRUTH = TRUTH;

function timed(name, fn, arg) {
  const start = performance.now();
  fn(arg);
  TRUTH[name] = (TRUTH[name] || 0) + (performance.now() - start) / 1000;
}

function busyLoop(ms) {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

function napSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

timed('busyLoop', busyLoop, 300);
timed('napSync', napSync, 200);

function handlerWork(ms) {
  busyLoop(ms);
}

exports.handler = async () => {
  timed('handlerWork', handlerWork, 100);
};
