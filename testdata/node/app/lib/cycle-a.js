'use strict';
exports.name = 'cycle-a';
const other = require('./cycle-b');
exports.other = other.name;
