/**
 * deepssim/web's EXIF handling, checked without a browser: browsers always apply a JPEG's EXIF orientation (the HTML
 * spec's `imageOrientation` has no "ignore" value), so the web decoder rewrites the tag to 1 in a copy of the bytes.
 * The rewritten file must keep every other byte, and be what libvips reads as orientation 1.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import sharp from 'sharp';
import { withoutExifOrientation } from '../../src/web/decode.js';
import { fixture } from '../support/paths.js';

test('the EXIF orientation tag is rewritten to 1 in a copy; nothing else changes', async () => {
  const original = readFileSync(fixture('decode', 'jpeg_exif6.jpg'));
  assert.equal((await sharp(original).metadata()).orientation, 6);
  const patched = withoutExifOrientation(original);
  assert.notEqual(patched, original);
  assert.equal((await sharp(patched).metadata()).orientation, 1);
  assert.equal(patched.length, original.length);
  let changed = 0;
  for (let i = 0; i < original.length; i++) if (patched[i] !== original[i]) changed++;
  assert.equal(changed, 1, 'one byte (the SHORT value of tag 0x0112) differs');
  assert.equal((await sharp(original).metadata()).orientation, 6, 'the caller’s bytes are untouched');
});

test('files without an orientation tag, non-JPEG files and truncated files are returned as they are', () => {
  for (const name of ['jpeg_420.jpg', 'png_rgba.png', 'bmp_24.bmp']) {
    const bytes = readFileSync(fixture('decode', name));
    assert.equal(withoutExifOrientation(bytes), bytes, name);
  }
  const exif = readFileSync(fixture('decode', 'jpeg_exif6.jpg'));
  for (const cut of [3, 10, 30, 60]) {
    const part = exif.subarray(0, cut);
    assert.doesNotThrow(() => withoutExifOrientation(part), `truncated at ${cut}`);
  }
});
