'use strict';
const b = require('./b');
exports.name = 'a+' + b.name;
