'use strict';
// deepssim is published as ES modules only. This file is what `require('deepssim')` resolves to (the "require"
// export condition), so CommonJS callers get one clear message instead of ERR_PACKAGE_PATH_NOT_EXPORTED.
const err = new Error(
  "deepssim is ESM-only: use `import { createDeepSSIM } from 'deepssim'` in an ES module " +
    '("type": "module" or a .mjs file), or `await import(\'deepssim\')` from CommonJS.',
);
err.code = 'ERR_DEEPSSIM_ESM_ONLY';
throw err;
