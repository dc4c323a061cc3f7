// Measures what the Node.js sampler's stop at the cut costs the first
// request (wrapper/hooks/BENCHMARKS.md): the @aws-sdk client at top level
// (testdata/node/realistic after npm ci) and a handler that prints when it
// started, "coldprof-bench-handler <unixUs>", to compare with the proxy's
// invoke_start marker.
'use strict';
const path = require('path');
const { S3Client } = require(path.join(__dirname, '..', '..', 'node', 'realistic', 'node_modules', '@aws-sdk', 'client-s3'));
const client = new S3Client({ region: 'eu-west-1' });

exports.handler = async () => {
  const us = Math.round((performance.timeOrigin + performance.now()) * 1000);
  console.log('coldprof-bench-handler ' + us);
  return { ok: client !== null };
};
