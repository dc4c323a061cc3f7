// Init that creates an @aws-sdk client at top level (testdata/node/realistic
// after npm ci there).
'use strict';
const path = require('path');
const TRUTH = {};
exports.TRUTH = TRUTH;

function makeClient() {
  const { S3Client } = require(path.join(__dirname, '..', 'node', 'realistic', 'node_modules', '@aws-sdk', 'client-s3'));
  return new S3Client({ region: 'eu-west-1' });
}

const start = performance.now();
exports.client = makeClient();
TRUTH.makeClient = (performance.now() - start) / 1000;
