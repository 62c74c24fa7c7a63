/**
 * The platform boundary, checked on the sources (the ESLint rules in eslint.boundary.mjs enforce the details):
 * one importer each for the native packages, no import of src/cli outside it, and a core that loads on a "platform"
 * built in this test with no Node services at all.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(repo, 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Module specifiers a file imports (static, dynamic and re-exports). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/g)) out.push(m[1]);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) out.push(m[1]);
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]);
  return out;
}

const files = sources(src).map((f) => ({ file: relative(repo, f).split('\\').join('/'), imports: specifiers(f) }));

test('sharp and onnxruntime-node are each imported by exactly one source file, in the Node layer', () => {
  for (const [pkg, where] of [
    ['sharp', 'src/node/decode.ts'],
    ['onnxruntime-node', 'src/node/onnx.ts'],
  ]) {
    const importers = files
      .filter((f) => f.imports.some((s) => s === pkg || s.startsWith(`${pkg}/`)))
      .map((f) => f.file);
    assert.deepEqual(importers, [where], `${pkg} importers`);
  }
});

test('no module outside src/cli imports src/cli', () => {
  const offenders = files
    .filter((f) => !f.file.startsWith('src/cli/'))
    .filter((f) => f.imports.some((s) => /(^|\/)cli(\/|$)/.test(s)))
    .map((f) => f.file);
  assert.deepEqual(offenders, []);
});

test('the core modules import no node:* built-in (the lint rule enforces the full list)', async () => {
  const nodeSide = /^src\/(node|cli|matchers)\/|^src\/index\.ts$|^src\/eval\/(?!statistics\.ts$|transforms\/)/;
  // Files still being moved into src/node: the lint config's PENDING_MIGRATION list, the single record of that debt.
  const { PENDING_MIGRATION } = (await import(pathToFileURL(join(repo, 'eslint.boundary.mjs')).href)) as {
    PENDING_MIGRATION: string[];
  };
  const pending = new Set(PENDING_MIGRATION);
  const offenders = files
    .filter((f) => !nodeSide.test(f.file) && !pending.has(f.file))
    .filter((f) => f.imports.some((s) => s.startsWith('node:') || /(^|\/)node\//.test(s)))
    .map((f) => f.file);
  assert.deepEqual(offenders, []);
});

test('the parser above sees imports (guards the tests against matching nothing)', () => {
  const decode = files.find((f) => f.file === 'src/node/decode.ts')!;
  assert.ok(decode.imports.includes('sharp') && decode.imports.includes('node:fs/promises'));
});
