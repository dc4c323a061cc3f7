'use strict';
require('./b');
throw new Error('module failed on purpose');
