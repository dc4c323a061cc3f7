export const lazy = 'lazy-esm';
