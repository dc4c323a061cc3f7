'use strict';
require('path');
let x = 0;
for (let i = 0; i < 200000; i++) x += i; // some self time
exports.name = 'b' + (x > 0 ? '' : '!');
