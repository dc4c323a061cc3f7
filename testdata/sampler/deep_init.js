// Init inside a stack of 300 distinct functions with 1000-character names
// (see deep_init.py): the sampler's lines are far more than a pipe holds.
'use strict';
const N = 300;
const names = [];
for (let i = 0; i < N; i++) names.push('f' + i + '_' + 'x'.repeat(1000));
const src = names.map((name, i) => 'function ' + name + '() { ' +
  (i + 1 < N ? names[i + 1] + '();' : 'const end = performance.now() + 200; while (performance.now() < end);') + ' }').join('\n');
// eslint-disable-next-line no-eval
(0, eval)(src + '\n' + names[0] + '();');

exports.handler = async () => {};
