'use strict';
const back = require('./cycle-a'); // cycle: partially loaded exports, not timed
exports.name = 'cycle-b saw ' + back.name;
