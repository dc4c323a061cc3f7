import { createRequire } from 'node:module';
import { leaf } from './leaf.mjs';

// A CommonJS file (and what it requires) loaded through createRequire.
const require = createRequire(import.meta.url);
const a = require('../lib/a.js');
let x = 0;
for (let i = 0; i < 200000; i++) x += i; // some evaluation time
export const dep = 'dep+' + leaf + '+' + a.name + (x > 0 ? '' : '!');
