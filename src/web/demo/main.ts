/// <reference lib="dom" />
/**
 * The demo page served by `deepssim demo` (web/demo/index.html): pick or drop a reference and a test image, choose
 * variant / backbone / saliency / execution provider, read the score, the time and the provider. For automation it
 * exposes `window.deepssim` (the deepssim/web module), `window.deepssimWeightsUrl` and `document.body.dataset.state`
 * (`ready`, `loading`, `scoring`, `done`, `error`).
 */
import * as deepssim from '../index.js';
import type { PreparedImage, Variant, WebDeepSSIM, WebImageInput } from '../index.js';

interface DemoConfig {
  backbone: string;
  weightsUrl: string | null;
  weightsSha256: string | null;
  wasmPaths: string;
}

declare global {
  interface Window {
    deepssim: typeof deepssim;
    deepssimWeightsUrl: string | null;
    deepssimConfig: DemoConfig;
  }
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const ui = {
  variant: $<HTMLSelectElement>('variant'),
  backbone: $<HTMLSelectElement>('backbone'),
  saliency: $<HTMLSelectElement>('saliency'),
  provider: $<HTMLSelectElement>('provider'),
  weights: $<HTMLInputElement>('weights'),
  progress: $<HTMLProgressElement>('progress'),
  score: $('score'),
  time: $('time'),
  ep: $('ep'),
  weightsState: $('weights-state'),
  status: $('status'),
  error: $('error'),
};

const images: { reference?: File; test?: File } = {};
let metric: { key: string; value: Promise<WebDeepSSIM> } | undefined;
/** Prepared images of the current metric, per slot (recomputed when the file or the metric changes). */
const prepared: Partial<Record<'reference' | 'test', { file: File; key: string; value: Promise<PreparedImage> }>> = {};
let generation = 0;

function setState(state: string): void {
  document.body.dataset.state = state;
}

function showError(err: unknown): void {
  const e = err as { message?: string; code?: string };
  ui.error.textContent = `${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}`;
  setState('error');
}

const mb = (n: number): string => (n / 1e6).toFixed(1);

function metricKey(config: DemoConfig): { key: string; options: deepssim.WebDeepSSIMOptions } {
  const backbone = ui.backbone.value;
  const weights = ui.weights.value.trim() || undefined;
  const sameAsServer = weights !== undefined && weights === config.weightsUrl;
  const options: deepssim.WebDeepSSIMOptions = {
    backbone,
    saliency: ui.saliency.value as 'none' | 'gbvs',
    executionProvider: ui.provider.value as deepssim.ExecutionProviderRequest,
    wasmPaths: config.wasmPaths,
    weights,
    weightsSha256: sameAsServer ? (config.weightsSha256 ?? undefined) : undefined,
    onProgress: (e) => {
      if (e.kind !== 'download') return;
      ui.progress.hidden = false;
      if (e.bytesTotal) ui.progress.value = e.bytesDone / e.bytesTotal;
      else ui.progress.removeAttribute('value');
      ui.status.textContent = `Loading weights… ${mb(e.bytesDone)}${e.bytesTotal ? ` / ${mb(e.bytesTotal)}` : ''} MB`;
    },
  };
  return { key: JSON.stringify([backbone, options.saliency, options.executionProvider, weights]), options };
}

async function getMetric(config: DemoConfig): Promise<{ key: string; metric: WebDeepSSIM }> {
  const { key, options } = metricKey(config);
  if (metric?.key !== key) {
    const old = metric;
    metric = { key, value: deepssim.createDeepSSIM(options) };
    void old?.value.then((m) => m.dispose()).catch(() => undefined);
    // A failed metric is forgotten so the next attempt (e.g. after fixing the weights URL) starts afresh.
    metric.value.catch(() => {
      if (metric?.key === key) metric = undefined;
    });
    setState('loading');
    ui.status.textContent = 'Loading weights…';
    const t0 = performance.now();
    const m = await metric.value;
    ui.progress.hidden = true;
    ui.weightsState.textContent = m.weightsFiles.downloaded === 0 ? 'from cache' : 'downloaded';
    ui.status.textContent = `Weights ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${m.weightsFiles.cached} from cache, ${m.weightsFiles.downloaded} downloaded)`;
  }
  return { key, metric: await metric.value };
}

function prepare(slot: 'reference' | 'test', m: WebDeepSSIM, key: string): Promise<PreparedImage> {
  const file = images[slot]!;
  const p = prepared[slot];
  if (p && p.file === file && p.key === key) return p.value;
  const value = m.prepare(file as WebImageInput, {}, slot);
  prepared[slot] = { file, key, value };
  value.catch(() => {
    if (prepared[slot]?.value === value) delete prepared[slot];
  });
  return value;
}

async function run(config: DemoConfig): Promise<void> {
  const mine = ++generation;
  ui.error.textContent = '';
  if (!images.reference || !images.test) {
    setState('ready');
    return;
  }
  try {
    const { key, metric: m } = await getMetric(config);
    if (mine !== generation) return;
    setState('scoring');
    ui.status.textContent = 'Scoring…';
    const t0 = performance.now();
    const [r, t] = await Promise.all([prepare('reference', m, key), prepare('test', m, key)]);
    const score = m.compare(r, t, ui.variant.value as Variant);
    const ms = performance.now() - t0;
    if (mine !== generation) return;
    ui.score.textContent = score.toFixed(6);
    ui.score.dataset.value = String(score);
    ui.time.textContent = `${ms.toFixed(0)} ms`;
    ui.ep.textContent = m.executionProvider === 'wasm' ? `wasm ×${m.threads}` : 'webgpu';
    ui.status.textContent = `${m.backboneName}, ${ui.variant.value}, saliency ${ui.saliency.value}: ${r.width}×${r.height} vs ${t.width}×${t.height}`;
    setState('done');
  } catch (err) {
    if (mine !== generation) return;
    ui.progress.hidden = true;
    ui.score.textContent = '–';
    delete ui.score.dataset.value;
    ui.status.textContent = '';
    showError(err);
  }
}

function wireSlot(slot: 'reference' | 'test', config: DemoConfig): void {
  const input = $<HTMLInputElement>(`${slot}-input`);
  const drop = $(`${slot}-drop`);
  const preview = $<HTMLImageElement>(`${slot}-preview`);
  const meta = $(`${slot}-meta`);
  const take = (file: File | undefined): void => {
    if (!file) return;
    images[slot] = file;
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
    preview.onload = () => (meta.textContent = `${file.name} · ${preview.naturalWidth}×${preview.naturalHeight}`);
    preview.onerror = () => (meta.textContent = `${file.name} · ${file.size} bytes`);
    meta.textContent = file.name;
    void run(config);
  };
  input.addEventListener('change', () => take(input.files?.[0]));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    take(e.dataTransfer?.files[0]);
  });
}

async function main(): Promise<void> {
  window.deepssim = deepssim;
  const config = (await (await fetch('/config.json')).json()) as DemoConfig;
  window.deepssimConfig = config;
  window.deepssimWeightsUrl = config.weightsUrl;
  for (const name of deepssim.backboneNames()) ui.backbone.add(new Option(name, name));
  ui.backbone.value = config.backbone;
  ui.weights.value = config.weightsUrl ?? '';
  $('isolation').textContent = crossOriginIsolated
    ? `cross-origin isolated (${navigator.hardwareConcurrency} cores)`
    : 'not cross-origin isolated (1 thread)';
  wireSlot('reference', config);
  wireSlot('test', config);
  ui.backbone.addEventListener('change', () => {
    // The server's weights belong to the backbone it was started with; another backbone uses its own default.
    ui.weights.value = ui.backbone.value === config.backbone ? (config.weightsUrl ?? '') : '';
    void run(config);
  });
  for (const el of [ui.variant, ui.saliency, ui.provider]) el.addEventListener('change', () => void run(config));
  ui.weights.addEventListener('change', () => void run(config));
  setState('ready');
}

main().catch(showError);
