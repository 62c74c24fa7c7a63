// The platform boundary, enforced (loaded by eslint.config.mjs, appended last so these restrictions win).
//
// The computing core — everything in src/ except the Node layer (src/node/**), the CLI (src/cli/**) and the Node-only
// evaluation harness (src/eval/** minus src/eval/statistics.ts and src/eval/transforms/**) — imports no Node built-in,
// no native or Node-only package, and neither the Node layer nor the CLI; it uses no Node globals (process, Buffer,
// setImmediate, …). Only the main Node entry src/index.ts wires the Node layer in. Nothing outside src/cli imports
// src/cli. See DEVELOPERS.md ("Architecture") and src/platform.ts.
import { builtinModules } from 'node:module';

/** Packages that only work on Node (native addons, files, terminals) or belong to the CLI / evaluation stack. */
const NODE_ONLY_PACKAGES = [
  'sharp',
  'onnxruntime-node',
  'yauzl',
  'env-paths',
  'adm-zip',
  'cli-progress',
  'commander',
  'csv-parse',
  'csv-stringify',
  'vega',
  'vega-lite',
  '@resvg/resvg-js',
  'read-excel-file',
];

const builtins = builtinModules.filter((m) => !m.startsWith('_'));

const noCli = {
  regex: '(^|/)cli(/|$)',
  message: 'Only src/cli imports src/cli: the library knows nothing of its command line.',
};

const neutralImports = {
  paths: [
    ...builtins.map((name) => ({
      name,
      message: 'The platform-neutral core imports no Node built-in: move this to src/node/** (see src/platform.ts).',
    })),
    ...NODE_ONLY_PACKAGES.map((name) => ({
      name,
      message:
        'The platform-neutral core imports no Node-only or native package: move this to src/node/** (or src/cli/**).',
    })),
  ],
  patterns: [
    {
      regex: '^node:',
      message: 'The platform-neutral core imports no Node built-in: move this to src/node/** (see src/platform.ts).',
    },
    // Subpath imports of the same packages (read-excel-file/node, csv-parse/sync, …).
    {
      regex: `^(${NODE_ONLY_PACKAGES.map((p) => p.replace(/[/.]/g, (c) => `\\${c}`)).join('|')})/`,
      message: 'Node-only package (see above).',
    },
    {
      regex: '(^|/)node/',
      message:
        'The platform-neutral core does not import the Node layer; the platform comes in as a parameter (src/platform.ts).',
    },
    noCli,
  ],
};

const neutralGlobals = [
  {
    name: 'process',
    message: 'The platform-neutral core uses no Node globals: take it as an option or through the Platform.',
  },
  {
    name: 'Buffer',
    message: 'The platform-neutral core works on Uint8Array, not Buffer (TextDecoder decodes latin1/utf8).',
  },
  { name: 'setImmediate', message: 'Use setTimeout(…, 0) or a Promise in the platform-neutral core.' },
  { name: '__dirname', message: 'No Node globals in the platform-neutral core.' },
  { name: '__filename', message: 'No Node globals in the platform-neutral core.' },
  { name: 'require', message: 'No Node globals in the platform-neutral core.' },
];

/** Neutral by rule, Node by path: the Node-only folders and the Node main entry. */
// src/matchers/** are the Node test-runner integrations (snapshot files next to the tests): Node-only entries.
const NODE_SIDE = ['src/node/**', 'src/cli/**', 'src/eval/**', 'src/matchers/**', 'src/index.ts'];
/** Inside src/eval, these stay neutral (pure statistics and pixel transforms). */
const NEUTRAL_IN_EVAL = ['src/eval/statistics.ts', 'src/eval/transforms/**/*.ts'];

/**
 * Files that still do their own file/cache/download work (issue 10.4): the weights track moves the lookup into
 * src/node/**, and the backbone registry's built-in entries stop calling Node loaders once weights are found through
 * `Platform.loadWeights` (arch track, one spec per backbone). Each entry is debt: remove it when the file is neutral —
 * the lint then keeps it so.
 */
const PENDING_MIGRATION = [];

export default [
  {
    // Node-side modules may use Node, but still not the CLI.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noCli] }] },
  },
  {
    files: ['src/**/*.ts'],
    ignores: [...NODE_SIDE, ...PENDING_MIGRATION],
    rules: {
      'no-restricted-imports': ['error', neutralImports],
      'no-restricted-globals': ['error', ...neutralGlobals],
    },
  },
  {
    files: NEUTRAL_IN_EVAL,
    rules: {
      'no-restricted-imports': ['error', neutralImports],
      'no-restricted-globals': ['error', ...neutralGlobals],
    },
  },
];

export { NODE_ONLY_PACKAGES, PENDING_MIGRATION };
