'use strict';
// Loads app/index.js the way Lambda's runtime loads a CommonJS handler (require),
// then calls the handler once, printing its result as JSON on stdout.
const path = require('path');
const mod = require(path.join(__dirname, 'app', 'index.js'));
mod.handler({ hello: 'world' }).then((out) => console.log(JSON.stringify(out)));
