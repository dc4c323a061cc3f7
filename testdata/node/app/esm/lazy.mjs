// Imported with import() inside the handler: a graph of its own.
import { arch } from 'node:os';
import { lazyDep } from './lazy-dep.mjs';

export const lazy = 'lazy-esm+' + lazyDep + (arch() ? '' : '!');
