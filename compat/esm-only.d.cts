// Types seen by CommonJS TypeScript projects (moduleResolution node16/nodenext, a CommonJS file): deepssim is
// ESM-only, so every named import fails to compile with this text in the message instead of crashing at run time.
declare const deepssim: 'deepssim is ESM-only: use import() from CommonJS, or compile as an ES module';
export = deepssim;
