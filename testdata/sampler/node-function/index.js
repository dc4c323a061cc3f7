// A Node.js function with known work at top level, for the end-to-end
// sampler tests (cmd/coldprof TestRunNodeSampler) and the real capture in
// testdata/sampler: a 300 ms busy loop (busyLoop), an @aws-sdk S3 client
// created by makeClient (testdata/node/realistic after npm ci; skipped
// without it), and a 50 ms busy loop in the handler. It prints what it
// measured itself as one "coldprof-test-truth {json}" line (seconds).
'use strict';
const path = require('path');
const truth = {};

function busyLoop(ms) {
  const end = performance.now() + ms;
  let n = 0;
  while (performance.now() < end) n++;
  return n;
}

function makeClient() {
  const sdk = path.join(__dirname, '..', '..', 'node', 'realistic', 'node_modules', '@aws-sdk', 'client-s3');
  let S3Client;
  try {
    ({ S3Client } = require(sdk));
  } catch (_) {
    return null; // no npm ci in testdata/node/realistic
  }
  return new S3Client({ region: 'eu-west-1' });
}

function timed(name, fn, arg) {
  const start = performance.now();
  const out = fn(arg);
  truth[name] = (performance.now() - start) / 1000;
  return out;
}

timed('busyLoop', busyLoop, 300);
const client = timed('makeClient', makeClient);
if (!client) delete truth.makeClient;
console.log('coldprof-test-truth ' + JSON.stringify(truth));

function handlerWork(ms) {
  return busyLoop(ms);
}

exports.handler = async () => {
  handlerWork(50);
  return { client: client !== null };
};
