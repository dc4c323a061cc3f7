export const lazyDep = 'lazy-dep';
