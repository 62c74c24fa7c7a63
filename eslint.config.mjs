// ESLint flat config (typescript-eslint). `npm run lint` runs it; `npm test` runs it (with `tsc --noEmit`) before the
// tests. Formatting is Prettier's job (.prettierrc.json, `npm run format`), so no stylistic rules here.
import { existsSync } from 'node:fs';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// >>> Platform-boundary rules (which modules may import node:* or native packages) live in eslint.boundary.mjs, owned
// by the boundary track: a flat-config array, appended last so its restrictions win. Loaded when present.
const boundaryFile = new URL('./eslint.boundary.mjs', import.meta.url);
const boundary = existsSync(boundaryFile) ? (await import(boundaryFile.href)).default : [];
// <<<

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'bench/out/', '.scratch/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      // tsc's noUnusedLocals/noUnusedParameters agree: a leading underscore marks an intentionally unused name.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // Tests build deliberately malformed JSON documents (weights manifests, model topologies) and mutate them freely.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  ...boundary,
);
