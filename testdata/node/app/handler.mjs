// An ES module Lambda handler: static imports of an ES module tree, a builtin
// and a CommonJS package, and a lazy dynamic import inside the handler.
import { readFileSync } from 'node:fs';
import { dep } from './esm/dep.mjs';
import fakepkg from 'fakepkg';

export const handler = async (event) => {
  const { lazy } = await import('./esm/lazy.mjs');
  return { dep, fakepkg: fakepkg.name, lazy, fs: typeof readFileSync, event };
};
