/**
 * Browser tests: a Chromium found on this machine (CHROMIUM_PATH, or chromium / chromium-browser on PATH), driven by
 * playwright-core (which never downloads a browser), against the demo server (`startDemoServer`). When no Chromium
 * is found the suites skip with a message saying so; CI installs Debian's chromium (.ci/run) so they always run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startDemoServer, type DemoServer, type DemoServerOptions } from '../../src/cli/commands/demo.js';

function which(name: string): string | undefined {
  try {
    const out = execFileSync('sh', ['-c', `command -v ${name}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}

/** The Chromium executable to use, or undefined. */
export function findChromium(): string | undefined {
  const env = process.env.CHROMIUM_PATH;
  if (env) return existsSync(env) ? env : undefined;
  return which('chromium') ?? which('chromium-browser') ?? which('google-chrome');
}

export const CHROMIUM = findChromium();
/** A skip reason for node:test (`false` when a browser is available). */
export const BROWSER_SKIP: string | false = CHROMIUM
  ? false
  : 'browser tests skipped: no Chromium found (set CHROMIUM_PATH, or apt-get install chromium); .ci/run installs it';
if (!CHROMIUM) console.log(`# ${BROWSER_SKIP}`);

/**
 * Flags for a quiet, isolated headless Chromium. --enable-unsafe-webgpu lets headless Chromium offer WebGPU (on
 * this Debian build: Google's SwiftShader, a software fallback adapter).
 */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
];

export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error(String(BROWSER_SKIP));
  // playwright gives every launch a new empty profile directory (removed on close).
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export interface BrowserSession {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  server: DemoServer;
  /** Page console errors and uncaught exceptions (for assertion messages). */
  errors: string[];
  close(): Promise<void>;
}

/** Start a demo server and open its page in a fresh Chromium; resolves when the page says it is ready. */
export async function openDemo(options: DemoServerOptions = {}): Promise<BrowserSession> {
  const server = await startDemoServer({ port: 0, ...options });
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    // Test helpers in every page: base64 → bytes, and the `__name` helper tsx's transform adds to functions passed to
    // page.evaluate (it does not exist in the page).
    await context.addInitScript({
      content:
        'globalThis.__name = (f) => f; globalThis.__t = { bytes: (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0)) };',
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.state === 'ready', undefined, { timeout: 30_000 });
    return {
      browser,
      context,
      page,
      server,
      errors,
      close: async () => {
        await browser.close();
        await server.close();
      },
    };
  } catch (err) {
    await browser.close();
    await server.close();
    throw err;
  }
}
