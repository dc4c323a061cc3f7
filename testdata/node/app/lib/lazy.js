'use strict';
require('os');
exports.name = 'lazy';
