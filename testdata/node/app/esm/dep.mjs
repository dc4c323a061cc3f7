import { leaf } from './leaf.mjs';
let x = 0;
for (let i = 0; i < 200000; i++) x += i; // some evaluation time
export const dep = 'dep+' + leaf + (x > 0 ? '' : '!');
