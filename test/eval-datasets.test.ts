import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { detectLayout, loadDataset } from '../src/eval/datasets/index.js';
import { LIVE_FOLDERS, loadLive } from '../src/eval/datasets/live.js';
import { readMat5 } from '../src/eval/datasets/mat5.js';
import { writeXlsx } from './fixtures/eval/write-xlsx.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'eval');
const tmp = mkdtempSync(join(tmpdir(), 'deepssim-datasets-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function touch(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, 'x');
}

test('MAT v5 reader: numeric classes, logical, char matrix, cell (SciPy-written fixture)', () => {
  const vars = readMat5(join(fixtures, 'mat-types.mat'));
  const expected = JSON.parse(readFileSync(join(fixtures, 'mat-types.json'), 'utf8'));
  for (const [name, exp] of Object.entries<{ dims?: number[]; data?: number[]; rows?: string[] }>(expected)) {
    const v = vars.get(name)!;
    assert.ok(v, name);
    if (exp.data) {
      assert.equal(v.kind, 'numeric', name);
      if (v.kind === 'numeric') assert.deepEqual(Array.from(v.data), exp.data, name);
    }
    if (exp.dims) assert.deepEqual(v.dims, exp.dims, name);
    if (exp.rows) assert.deepEqual(v.kind === 'char' && v.rows, exp.rows, name);
  }
  const flag = vars.get('flag')!;
  assert.ok(flag.kind === 'numeric' && flag.logical);
  const cell = vars.get('cell')!;
  assert.ok(cell.kind === 'cell');
  if (cell.kind === 'cell') {
    assert.deepEqual(cell.cells[0].kind === 'char' && cell.cells[0].rows, ['abc']);
    assert.deepEqual(cell.cells[1].kind === 'numeric' && Array.from(cell.cells[1].data), [1.5, -2]);
  }
  assert.throws(() => readMat5(join(fixtures, 'stats_reference.json')), /not a MAT v5 file/);
});

test('generic manifest CSV: header in any order, relative paths, MOS/DMOS flag, errors', async () => {
  const dir = join(tmp, 'csv');
  touch(join(dir, 'r', 'a.png'));
  touch(join(dir, 'd', 'a1.png'));
  touch(join(dir, 'd', 'a 2.png'));
  writeFileSync(
    join(dir, 'm.csv'),
    'score,distorted,reference,type\n3.5,d/a1.png,r/a.png,blur\n"1.25","d/a 2.png",r/a.png,\n',
  );
  const m = await loadDataset(join(dir, 'm.csv'), { higherIsBetter: false });
  assert.equal(m.layout, 'manifest-csv');
  assert.equal(m.higherIsBetter, false);
  assert.deepEqual(
    m.entries.map((e) => [basename(e.reference), basename(e.distorted), e.score, e.type]),
    [
      ['a.png', 'a1.png', 3.5, 'blur'],
      ['a.png', 'a 2.png', 1.25, undefined],
    ],
  );
  writeFileSync(join(dir, 'noheader.csv'), 'r/a.png,d/a1.png,4\n');
  const n = await loadDataset(join(dir, 'noheader.csv'));
  assert.equal(n.higherIsBetter, true);
  assert.equal(n.entries[0].score, 4);
  writeFileSync(join(dir, 'bad.csv'), 'r/a.png,d/a1.png,abc\n');
  await assert.rejects(loadDataset(join(dir, 'bad.csv')), /line 1/);
  writeFileSync(join(dir, 'missing.csv'), 'r/a.png,d/nope.png,1\n');
  await assert.rejects(loadDataset(join(dir, 'missing.csv')), /no such file .*nope\.png/);
  await assert.rejects(loadDataset(join(tmp, 'does-not-exist')), /no such manifest/);
});

test('LIVE Release 2: .mat scores in folder order, originals skipped, realigned DMOS preferred', async () => {
  const root = join(tmp, 'live');
  const live = join(fixtures, 'live-mini');
  mkdirSync(root, { recursive: true });
  for (const f of ['dmos_realigned.mat', 'refnames_all.mat', 'dmos.mat']) copyFileSync(join(live, f), join(root, f));
  const exp = JSON.parse(readFileSync(join(live, 'expected.json'), 'utf8'));
  for (const r of new Set<string>(exp.refnames)) touch(join(root, 'refimgs', r));
  for (const [folder, n] of LIVE_FOLDERS) {
    for (let k = 1; k <= n; k++) touch(join(root, folder, `img${k}.bmp`));
    touch(join(root, folder, 'info.txt'));
  }
  assert.equal(detectLayout(root), 'live');
  const m = await loadDataset(root);
  assert.equal(m.layout, 'live');
  assert.equal(m.higherIsBetter, false);
  const kept = exp.orgs.map((o: number, i: number) => (o === 1 ? -1 : i)).filter((i: number) => i >= 0);
  assert.equal(m.entries.length, kept.length);
  assert.ok(kept.length < 982);
  // Entry for global index 300: jpeg folder (227 jp2k first), image 300 − 227 + 1 = 74.
  const idx = kept.indexOf(300);
  const e = m.entries[idx];
  assert.equal(e.type, 'jpeg');
  assert.equal(basename(e.distorted), 'img74.bmp');
  assert.equal(basename(e.reference), exp.refnames[300]);
  assert.equal(e.score, exp.dmos_new[300]);
  assert.equal(m.entries.at(-1)!.type, 'fastfading');
  // The older dmos.mat (uncompressed in the fixture) when asked for.
  const old = loadLive(root, { realigned: false });
  assert.ok(Math.abs(old.entries[idx].score - (exp.dmos_new[300] + 1)) < 1e-9);
  assert.equal(basename(m.entries.at(-1)!.distorted), 'img174.bmp');
});

test('CSIQ: xlsx header row below title rows, numeric image names, type → folder/token mapping', async () => {
  const root = join(tmp, 'csiq');
  for (const r of ['1600', 'bridge']) touch(join(root, 'src_imgs', `${r}.png`));
  touch(join(root, 'dst_imgs', 'awgn', '1600.AWGN.1.png'));
  touch(join(root, 'dst_imgs', 'jpeg2000', 'bridge.jpeg2000.3.png'));
  touch(join(root, 'dst_imgs', 'blur', 'bridge.BLUR.5.png'));
  writeXlsx(join(root, 'csiq.DMOS.xlsx'), 'all_by_image', [
    ['CSIQ DMOS'],
    [],
    [],
    [null, null, null, 'image', 'dst_idx', 'dst_type', 'dst_lev', 'dmos_std', 'dmos'],
    [null, null, null, 1600, 1, 'noise', 1, 0.061, 0.062],
    [null, null, null, 'bridge', 5, 'jpeg 2000', 3, 0.1, 0.345],
    [null, null, null, 'bridge', 6, 'blur', 5, 0.1, 0.9],
  ]);
  assert.equal(detectLayout(root), 'csiq');
  const m = await loadDataset(root);
  assert.equal(m.higherIsBetter, false);
  assert.deepEqual(
    m.entries.map((e) => [basename(e.reference), basename(e.distorted), e.score, e.type]),
    [
      ['1600.png', '1600.AWGN.1.png', 0.062, 'awgn'],
      ['bridge.png', 'bridge.jpeg2000.3.png', 0.345, 'jpeg2000'],
      ['bridge.png', 'bridge.BLUR.5.png', 0.9, 'blur'],
    ],
  );
});

test('TID2013: mos_with_names.txt, case-insensitive names (I25.BMP vs i25.bmp), MOS higher = better', async () => {
  const root = join(tmp, 'tid');
  touch(join(root, 'reference_images', 'I01.BMP'));
  touch(join(root, 'reference_images', 'i25.bmp'));
  touch(join(root, 'distorted_images', 'i01_01_1.bmp'));
  touch(join(root, 'distorted_images', 'I25_10_5.BMP'));
  writeFileSync(join(root, 'mos_with_names.txt'), '5.51429 i01_01_1.bmp\r\n1.25 i25_10_5.bmp\r\n');
  assert.equal(detectLayout(root), 'tid2013');
  const m = await loadDataset(root);
  assert.equal(m.higherIsBetter, true);
  assert.deepEqual(
    m.entries.map((e) => [basename(e.reference), basename(e.distorted), e.score, e.type]),
    [
      ['I01.BMP', 'i01_01_1.bmp', 5.51429, '01 additive Gaussian noise'],
      ['i25.bmp', 'I25_10_5.BMP', 1.25, '10 JPEG'],
    ],
  );
});

test('KADID-10k: dmos.csv (MOS-like, higher = better), images/ folder', async () => {
  const root = join(tmp, 'kadid');
  for (const f of ['I01.png', 'I01_01_01.png', 'I01_25_05.png']) touch(join(root, 'images', f));
  writeFileSync(
    join(root, 'dmos.csv'),
    'dist_img,ref_img,dmos,var\nI01_01_01.png,I01.png,4.57,0.496\nI01_25_05.png,I01.png,1.9,0.8\n',
  );
  assert.equal(detectLayout(root), 'kadid10k');
  const m = await loadDataset(root);
  assert.equal(m.higherIsBetter, true);
  assert.deepEqual(
    m.entries.map((e) => [basename(e.distorted), e.score, e.type]),
    [
      ['I01_01_01.png', 4.57, '01 Gaussian blur'],
      ['I01_25_05.png', 1.9, '25 contrast change'],
    ],
  );
});

test('a folder without a known layout is a usage error', async () => {
  const root = join(tmp, 'empty');
  mkdirSync(root, { recursive: true });
  await assert.rejects(loadDataset(root), /unknown dataset layout/);
});
