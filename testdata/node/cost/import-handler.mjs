// Imports the handler module H (default: ../realistic/s3.mjs) and calls its
// handler once, as a runtime would.
const h = process.env.H || new URL('../realistic/s3.mjs', import.meta.url).href;
const m = await import(h);
await m.handler();
