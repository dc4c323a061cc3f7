'use strict';
// A CommonJS Lambda handler: nested requires, a package, a scoped package
// subpath, a builtin, a require cycle and a module that throws.
const fs = require('fs');
const a = require('./lib/a');
const fakepkg = require('fakepkg');
const sub = require('@scope/pkg/dist/sub');
const cycle = require('./lib/cycle-a');
let thrown = '';
try {
  require('./lib/throws');
} catch (err) {
  thrown = err.message;
}
require('./lib/a'); // cached: not timed again

exports.handler = async function handler(event) {
  const lazy = require('./lib/lazy'); // handler-time load
  return {
    a: a.name, fakepkg: fakepkg.name, sub: sub.name, cycle: cycle.name,
    thrown, lazy: lazy.name, fs: typeof fs.readFileSync, event,
  };
};
