/**
 * The README's screenshot of the demo page (docs/images/web-demo.png): `deepssim demo` with the genuine MobileNet
 * weights, a Kodak photo as reference and the same photo shifted and JPEG-compressed as test, scored in headless
 * Chromium. Needs ../shared and a Chromium (see test/browser/support.ts).
 *
 *   npm run build && npx tsx web/screenshot.ts
 */
import { join } from 'node:path';
import sharp from 'sharp';
import { startDemoServer } from '../src/cli/commands/demo.js';
import { launchChromium } from '../test/browser/support.js';
import { ROOT, SHARED } from '../test/support/paths.js';

const reference = join(SHARED, 'images', 'kodak', 'kodim23.png');
const refBytes = await sharp(reference).png().toBuffer();
// The test image: shifted by 6 px and saved as JPEG quality 30 (a geometric and a photometric change).
const meta = await sharp(reference).metadata();
const testBytes = await sharp(reference)
  .extract({ left: 6, top: 4, width: meta.width! - 6, height: meta.height! - 4 })
  .jpeg({ quality: 30 })
  .toBuffer();

const server = await startDemoServer({
  port: 0,
  backbone: 'mobilenet_v1_0.75',
  weights: join(SHARED, 'weights', 'mobilenet_v1_0.75_224', 'model.json'),
});
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  await page.addInitScript({ content: 'globalThis.__name = (f) => f;' }); // tsx's helper for functions sent to the page
  await page.goto(server.url);
  await page.waitForFunction(() => document.body.dataset.state === 'ready');
  await page.setInputFiles('#reference-input', { name: 'kodim23.png', mimeType: 'image/png', buffer: refBytes });
  await page.setInputFiles('#test-input', {
    name: 'kodim23-shift6-q30.jpg',
    mimeType: 'image/jpeg',
    buffer: testBytes,
  });
  await page.waitForFunction(() => document.body.dataset.state === 'done', undefined, { timeout: 300_000 });
  const out = join(ROOT, 'docs', 'images', 'web-demo.png');
  await page.screenshot({ path: out, fullPage: true });
  console.log(
    `score ${await page.textContent('#score')}, ${await page.textContent('#time')}, ${await page.textContent('#ep')}; wrote ${out}`,
  );
} finally {
  await browser.close();
  await server.close();
}
