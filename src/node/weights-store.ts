/**
 * The one weights-lookup routine, for every backbone, driven by its declaration (src/weights/official.ts):
 *
 *   explicit path > the backbone's environment variable > the cache (official entry, then an unverified import) >
 *   a verified download of the official files into the cache.
 *
 * Every source is reported with `verified`: true only for the genuine files (SHA-256 pinned in the declaration) or a
 * cache entry made from them. Cache entries carry an integrity record (`<entry>.integrity.json`: SHA-256, size and
 * mtime of every file) written with them and checked on every read: a file whose size or mtime changed is hashed
 * again, and a hash that differs is WEIGHTS_HASH_MISMATCH. Every loaded weight map is checked for finite values.
 *
 * Node layer: files, hashing, downloads and the cache directory live here; the core only sees WeightMaps.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import envPaths from 'env-paths';
import { UsageError, WeightsError, quote } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { canonicalSafetensors, checkFinite } from '../weights/canonical.js';
import type {
  BackboneWeights,
  OfficialFile,
  WeightsDeclaration,
  WeightsRead,
  WeightsStorage,
} from '../weights/official.js';
import { LEGACY_MAGIC } from '../weights/torch-pth.js';
import type { WeightMap } from '../weights/types.js';
import { readTfjsLayersModel, readWeightsFile } from './read-weights-file.js';
import { downloadVerified } from './weights-download.js';

/** Environment variables as the weights lookup reads them (DEEPSSIM_CACHE_DIR, each backbone's weights variable). */
export type WeightsEnv = Readonly<Record<string, string | undefined>>;

/**
 * The cache directory: DEEPSSIM_CACHE_DIR of `env` (default: the process environment) or the platform cache dir for
 * 'deepssim' (not created here).
 */
export function cacheDir(env: WeightsEnv = process.env): string {
  const fromEnv = env.DEEPSSIM_CACHE_DIR;
  return fromEnv && fromEnv.length > 0 ? fromEnv : envPaths('deepssim', { suffix: '' }).cache;
}

/** Bytes done / total of a download (all files of a backbone together). */
export interface WeightsProgress {
  readonly backbone: string;
  /** The file being transferred. */
  readonly file: string;
  readonly bytesDone: number;
  /** Undefined when the sizes are not known in advance. */
  readonly bytesTotal: number | undefined;
}

export interface WeightsRequest {
  /** A local weights file (or, for TF.js models, a model.json or the folder holding it); wins over everything else. */
  readonly weights?: string;
  /** Allow downloading the official weights when nothing else is found (default true). */
  readonly download?: boolean;
  /** Short progress messages (download started, cached); silent by default. */
  readonly log?: (message: string) => void;
  /** Download progress; silent by default. */
  readonly onProgress?: (progress: WeightsProgress) => void;
  /**
   * Cache integrity check: `fast` (default) hashes a cached file again only when its size or mtime differs from the
   * integrity record; `full` always hashes.
   */
  readonly verifyCache?: 'fast' | 'full';
  /** Where DEEPSSIM_CACHE_DIR and the backbone's weights variable are read (default: the process environment). */
  readonly env?: WeightsEnv;
}

export type WeightsOrigin = 'explicit' | 'env' | 'cache' | 'download';

export interface ResolvedWeights {
  /** The file to read: a .pth / .safetensors, or a model.json. */
  readonly path: string;
  readonly origin: WeightsOrigin;
  /** True only for the genuine files or a cache entry made from them. */
  readonly verified: boolean;
  /** Why the weights are not verified (one line), when they are not. */
  readonly note?: string;
}

export interface LoadedWeights extends ResolvedWeights {
  readonly weights: WeightMap;
  /** Same as `path` (the name the metric reports). */
  readonly source: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Format sniffing: which storage a path holds, so a model.json given to VGG16 (or a .pth given to MobileNet) gets a
// message that names what it is instead of a parser error about its bytes.

type Sniffed = { storage: WeightsStorage; path: string } | { storage: 'unknown'; path: string; head: Uint8Array };

async function sniff(path: string, what: string): Promise<Sniffed> {
  let st;
  try {
    st = await stat(path);
  } catch {
    throw new WeightsError(`weights file ${quote(path)}${what} does not exist`, { code: 'WEIGHTS_NOT_FOUND', path });
  }
  if (st.isDirectory()) {
    const modelJson = join(path, 'model.json');
    if (await isFile(modelJson)) return { storage: 'tfjs-layers', path: modelJson };
    throw new WeightsError(
      `weights path ${quote(path)}${what} is a folder without a model.json; expected a weights file (or a TensorFlow.js model folder)`,
      {
        code: 'WEIGHTS_NOT_FOUND',
        path,
      },
    );
  }
  if (!st.isFile()) {
    // A device or FIFO never ends (and opening a FIFO blocks): only regular files are weights.
    throw new WeightsError(`weights path ${quote(path)}${what} is not a regular file`, {
      code: 'WEIGHTS_NOT_FOUND',
      path,
    });
  }
  const head = new Uint8Array(16);
  const fh = await open(path, 'r');
  let n: number;
  try {
    n = (await fh.read(head, 0, 16, 0)).bytesRead;
  } finally {
    await fh.close();
  }
  const h = head.subarray(0, n);
  const declared = n >= 8 ? new DataView(h.buffer, h.byteOffset, 8).getBigUint64(0, true) : -1n;
  if (n >= 4 && h[0] === 0x50 && h[1] === 0x4b && h[2] === 0x03 && h[3] === 0x04)
    return { storage: 'state-dict', path };
  if (n >= LEGACY_MAGIC.length && LEGACY_MAGIC.every((b, i) => h[i] === b)) return { storage: 'state-dict', path };
  // safetensors: u64 header length that fits the file, then the header's '{'.
  if (n >= 9 && h[8] === 0x7b && declared <= BigInt(st.size - 8)) return { storage: 'state-dict', path };
  const first = h.find(
    (b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf,
  );
  if (first === 0x7b /* '{': JSON */) return { storage: 'tfjs-layers', path };
  return { storage: 'unknown', path, head: h };
}

const STORAGE_WORDS: Record<WeightsStorage, string> = {
  'state-dict': 'a PyTorch (.pth) or safetensors weights file',
  'tfjs-layers': 'a TensorFlow.js layers model (model.json and its shards)',
};

/** Resolve a user-given path to the file to read, refusing a file of the other storage with a message naming it. */
async function locate(b: BackboneWeights, path: string, what: string): Promise<string> {
  const s = await sniff(path, what);
  const want = b.declaration.storage;
  if (s.storage === 'unknown') {
    // State-dict readers name truncation and the like precisely; anything else is not a weights file at all.
    if (want === 'state-dict') return s.path;
    const hex = Array.from(s.head.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join('');
    throw new WeightsError(
      `weights file ${quote(path)}${what} is not ${STORAGE_WORDS[want]} (starts with bytes ${hex || '(empty file)'})`,
      {
        code: 'WEIGHTS_WRONG_MODEL',
        path,
      },
    );
  }
  if (s.storage !== want) {
    throw new WeightsError(
      `weights file ${quote(path)}${what} is ${STORAGE_WORDS[s.storage]}, but backbone '${b.backbone}' reads ${STORAGE_WORDS[want]}`,
      {
        code: 'WEIGHTS_WRONG_MODEL',
        path,
        storage: s.storage,
        backbone: b.backbone,
      },
    );
  }
  return s.path;
}

// ---------------------------------------------------------------------------------------------------------------
// Hashing and genuineness of files given by path.

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** SHA-256 of a file (hex): read whole when small, streamed when large. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  if ((await stat(path)).size <= 64 << 20) return hash.update(await readFile(path)).digest('hex');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * SHA-256 of a large file given by path, remembered in the cache directory (\`hashes.json\`, keyed by absolute path,
 * size and mtime) so the 553 MB official file is hashed once, not on every run. Same rule as the cache's fast path:
 * a changed size or mtime means hashing again. Remembering is best-effort (a read-only cache only costs time).
 */
async function sha256Remembered(dir: string, path: string): Promise<string> {
  const key = resolve(path);
  const st = await stat(key);
  const memoPath = join(dir, 'hashes.json');
  let memo: Record<string, { bytes: number; mtimeMs: number; sha256: string }> = {};
  try {
    const parsed = JSON.parse(await readFile(memoPath, 'utf8')) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) memo = parsed as typeof memo;
  } catch {
    // no memo yet (or unreadable): hash
  }
  const hit = Object.hasOwn(memo, key) ? memo[key] : undefined;
  if (hit && hit.bytes === st.size && hit.mtimeMs === st.mtimeMs && /^[0-9a-f]{64}$/.test(String(hit.sha256)))
    return hit.sha256;
  const sha256 = await sha256File(key);
  memo[key] = { bytes: st.size, mtimeMs: st.mtimeMs, sha256 };
  await mkdir(dir, { recursive: true })
    .then(() => writeFileAtomic(memoPath, `${JSON.stringify(memo, null, 1)}\n`))
    .catch(() => undefined);
  return sha256;
}

const sha256Bytes = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

interface Genuineness {
  readonly verified: boolean;
  readonly note?: string;
  /** SHA-256 of the file that was checked (when it was hashed). */
  readonly sha256?: string;
}

/** Whether a file given by path is one of the genuine files the declaration pins (state dict or canonical export). */
async function genuineStateDict(dir: string, d: WeightsDeclaration, path: string): Promise<Genuineness> {
  const official = d.official.find((f) => f.name === d.entry)!;
  const size = (await stat(path)).size;
  if (size === official.bytes) {
    const sha256 = await sha256Remembered(dir, path);
    if (sha256 === official.sha256) return { verified: true, sha256 };
    return { verified: false, sha256, note: `its SHA-256 differs from the official ${official.name}` };
  }
  if (d.compact?.sha256 !== undefined) {
    const sha256 = await sha256File(path);
    if (sha256 === d.compact.sha256) return { verified: true, sha256 };
  }
  return {
    verified: false,
    note:
      d.compact && d.compact.sha256 === undefined
        ? `it is not the official ${official.name} (and no SHA-256 of the canonical export is pinned yet)`
        : `it is not the official ${official.name}`,
  };
}

/** Whether the model folder of `modelJson` holds exactly the official files. */
async function genuineTfjs(d: WeightsDeclaration, modelJson: string): Promise<Genuineness> {
  const dir = dirname(modelJson);
  for (const f of d.official) {
    const p = join(dir, f.name);
    const st = await stat(p).catch(() => undefined);
    if (!st?.isFile() || st.size !== f.bytes || (await sha256File(p)) !== f.sha256) {
      return { verified: false, note: `${f.name} is not the official file` };
    }
  }
  return { verified: true };
}

function genuine(dir: string, b: BackboneWeights, path: string): Promise<Genuineness> {
  return b.declaration.storage === 'state-dict'
    ? genuineStateDict(dir, b.declaration, path)
    : genuineTfjs(b.declaration, path);
}

// ---------------------------------------------------------------------------------------------------------------
// Cache entries and their integrity records.

interface RecordFile {
  /** Path relative to the cache directory. */
  readonly name: string;
  readonly bytes: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

interface IntegrityRecord {
  readonly version: 1;
  readonly backbone: string;
  readonly verified: boolean;
  /** How the entry was made and from what. */
  readonly origin: 'download' | 'import' | 'adopted';
  readonly source?: string;
  readonly sourceSha256?: string;
  readonly note?: string;
  readonly files: RecordFile[];
}

const recordPath = (dir: string, name: string): string => join(dir, `${name}.integrity.json`);

/** The file a cache entry is read from (the compact file, or model.json of the folder). */
function entryFile(dir: string, d: WeightsDeclaration, name: string): string {
  return d.storage === 'state-dict' ? join(dir, name) : join(dir, name, 'model.json');
}

async function readRecord(dir: string, name: string): Promise<IntegrityRecord | undefined> {
  let text: string;
  try {
    text = await readFile(recordPath(dir, name), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = JSON.parse(text) as IntegrityRecord;
    const okFile = (f: RecordFile): boolean =>
      typeof f?.name === 'string' &&
      !f.name.split(/[\\/]/).includes('..') &&
      Number.isSafeInteger(f.bytes) &&
      typeof f.mtimeMs === 'number' &&
      /^[0-9a-f]{64}$/.test(f.sha256);
    if (
      r?.version !== 1 ||
      typeof r.verified !== 'boolean' ||
      !Array.isArray(r.files) ||
      r.files.length === 0 ||
      !r.files.every(okFile)
    )
      return undefined;
    return r;
  } catch {
    return undefined;
  }
}

async function recordFile(dir: string, name: string, sha256: string): Promise<RecordFile> {
  const st = await stat(join(dir, name));
  return { name, bytes: st.size, mtimeMs: st.mtimeMs, sha256 };
}

async function writeRecord(dir: string, entry: string, record: IntegrityRecord): Promise<void> {
  await writeFileAtomic(recordPath(dir, entry), `${JSON.stringify(record, null, 1)}\n`);
}

function mismatch(path: string, expected: string, actual: string, why: string): WeightsError {
  return new WeightsError(
    `cached weights ${quote(path)} were changed since they were written (${why}); delete the cache entry and fetch or import the weights again`,
    {
      code: 'WEIGHTS_HASH_MISMATCH',
      path,
      sha256: expected,
      actual,
    },
  );
}

/** The pinned SHA-256 of a file of an official cache entry, when the declaration pins one. */
function pinFor(d: WeightsDeclaration, relName: string, entry: string): string | undefined {
  if (entry !== d.cacheName) return undefined;
  if (d.storage === 'state-dict') return d.compact?.sha256;
  const inside = relName.slice(entry.length + 1);
  return d.official.find((f) => f.name === inside)?.sha256;
}

/**
 * Check a cache entry against its integrity record. Returns undefined when the entry is absent; throws
 * WEIGHTS_HASH_MISMATCH when a file differs from what was recorded (or pinned).
 */
async function checkEntry(
  dir: string,
  b: BackboneWeights,
  entry: string,
  mode: 'fast' | 'full',
): Promise<ResolvedWeights | undefined> {
  const d = b.declaration;
  const main = entryFile(dir, d, entry);
  if (!(await isFile(main))) return undefined;
  const record = await readRecord(dir, entry);
  if (!record) return adopt(dir, b, entry);
  let refreshed = false;
  const files: RecordFile[] = [];
  for (const f of record.files) {
    const path = join(dir, f.name);
    const st = await stat(path).catch(() => undefined);
    if (!st?.isFile()) throw mismatch(path, f.sha256, 'missing', 'a file listed in its integrity record is missing');
    const pin = pinFor(d, f.name, entry);
    if (pin !== undefined && pin !== f.sha256)
      throw mismatch(path, pin, f.sha256, 'its integrity record does not match the pinned official hash');
    if (mode === 'fast' && st.size === f.bytes && st.mtimeMs === f.mtimeMs) {
      files.push(f);
      continue;
    }
    const actual = await sha256File(path);
    if (actual !== f.sha256)
      throw mismatch(path, f.sha256, actual, 'SHA-256 differs from the one recorded when it was written');
    refreshed ||= st.mtimeMs !== f.mtimeMs || st.size !== f.bytes;
    files.push({ ...f, bytes: st.size, mtimeMs: st.mtimeMs });
  }
  // The record must cover the file that is read (and, for a model folder, every official file).
  const rel = (p: string): string => p.slice(dir.length + 1);
  const needed =
    d.storage === 'tfjs-layers' && entry === d.cacheName ? d.official.map((f) => `${entry}/${f.name}`) : [rel(main)];
  for (const n of needed) {
    if (!files.some((f) => f.name === n))
      throw mismatch(join(dir, n), 'recorded', 'unrecorded', 'its integrity record does not cover this file');
  }
  // Same content, new mtime (copied, touched): remember the new mtime so the fast path applies again.
  if (refreshed) await writeRecord(dir, entry, { ...record, files }).catch(() => undefined);
  return {
    path: main,
    origin: 'cache',
    verified: record.verified && entry === d.cacheName,
    ...(record.note ? { note: record.note } : {}),
  };
}

/**
 * A cache entry without an integrity record (written by an older deepssim, or by hand). An official model folder is
 * checked against the pinned hashes; anything else cannot be proven genuine, so it is recorded as unverified.
 */
async function adopt(cache: string, b: BackboneWeights, entry: string): Promise<ResolvedWeights> {
  const d = b.declaration;
  const main = entryFile(cache, d, entry);
  if (d.storage === 'tfjs-layers') {
    const dir = dirname(main);
    const g = entry === d.cacheName ? await genuineTfjs(d, main) : { verified: false };
    if (entry === d.cacheName && !g.verified) {
      throw new WeightsError(
        `cached weights ${quote(dir)} are not the official files (${g.note}); delete the folder and fetch the weights again`,
        {
          code: 'WEIGHTS_HASH_MISMATCH',
          path: dir,
        },
      );
    }
    const names = entry === d.cacheName ? d.official.map((f) => f.name) : ['model.json'];
    const files = await Promise.all(
      names.map(async (n) => recordFile(cache, `${entry}/${n}`, await sha256File(join(dir, n)))),
    );
    const note = g.verified ? undefined : 'imported from files that are not the official ones';
    await writeRecord(cache, entry, {
      version: 1,
      backbone: b.backbone,
      verified: g.verified,
      origin: 'adopted',
      ...(note ? { note } : {}),
      files,
    });
    return { path: main, origin: 'cache', verified: g.verified, ...(note ? { note } : {}) };
  }
  const sha256 = await sha256File(main);
  const pinned = entry === d.cacheName && d.compact?.sha256 !== undefined;
  if (pinned && sha256 !== d.compact!.sha256)
    throw mismatch(main, d.compact!.sha256!, sha256, 'it is not the canonical export of the official file');
  const verified = pinned;
  const note = verified
    ? undefined
    : 'cached without an integrity record (older deepssim): its origin cannot be checked';
  await writeRecord(cache, entry, {
    version: 1,
    backbone: b.backbone,
    verified,
    origin: 'adopted',
    ...(note ? { note } : {}),
    files: [await recordFile(cache, entry, sha256)],
  });
  return { path: main, origin: 'cache', verified, ...(note ? { note } : {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// Download of the official files.

function progressReporter(b: BackboneWeights, request: WeightsRequest, files: readonly OfficialFile[]) {
  const total = files.reduce((s, f) => s + f.bytes, 0);
  let before = 0;
  return {
    file(f: OfficialFile) {
      return (received: number) =>
        request.onProgress?.({ backbone: b.backbone, file: f.name, bytesDone: before + received, bytesTotal: total });
    },
    done(f: OfficialFile) {
      before += f.bytes;
      request.onProgress?.({ backbone: b.backbone, file: f.name, bytesDone: before, bytesTotal: total });
    },
  };
}

/** Download the official files into the cache (verified) and write the cache entry with its integrity record. */
async function download(dir: string, b: BackboneWeights, request: WeightsRequest): Promise<ResolvedWeights> {
  const d = b.declaration;
  const log = request.log ?? (() => undefined);
  const mb = Math.round(d.official.reduce((s, f) => s + f.bytes, 0) / 1e6);
  log(`downloading ${d.title} weights (about ${mb} MB, once) into ${dir}`);
  const progress = progressReporter(b, request, d.official);
  if (d.storage === 'state-dict') {
    const official = d.official.find((f) => f.name === d.entry)!;
    const big = join(dir, official.name);
    await downloadVerified(official.url, big, { sha256: official.sha256, onProgress: progress.file(official) });
    progress.done(official);
    try {
      log(`extracting the ${Object.keys(d.compact!.shapes).length} tensors the backbone needs`);
      await writeCompact(dir, b, big, d.cacheName, {
        verified: true,
        origin: 'download',
        source: official.url,
        sourceSha256: official.sha256,
      });
    } finally {
      await unlink(big).catch(() => undefined);
    }
    log(`cached ${join(dir, d.cacheName)}`);
    return { path: join(dir, d.cacheName), origin: 'download', verified: true };
  }
  const folder = join(dir, d.cacheName);
  await mkdir(folder, { recursive: true });
  await rm(recordPath(dir, d.cacheName), { force: true });
  const files: RecordFile[] = [];
  for (const f of d.official) {
    const dest = join(folder, f.name);
    // A file verified by an earlier, interrupted run is kept (re-hashed: it costs little and proves it).
    if (!((await isFile(dest)) && (await sha256File(dest)) === f.sha256)) {
      await downloadVerified(f.url, dest, { sha256: f.sha256, onProgress: progress.file(f) });
    }
    progress.done(f);
    files.push(await recordFile(dir, `${d.cacheName}/${f.name}`, f.sha256));
  }
  await writeRecord(dir, d.cacheName, {
    version: 1,
    backbone: b.backbone,
    verified: true,
    origin: 'download',
    source: dirname(d.official[0].url),
    files,
  });
  log(`cached ${folder}`);
  return { path: join(folder, d.entry), origin: 'download', verified: true };
}

/** Read a state dict, validate it, write its canonical compact subset as cache entry `entry` with its record. */
async function writeCompact(
  dir: string,
  b: BackboneWeights,
  source: string,
  entry: string,
  how: Pick<IntegrityRecord, 'verified' | 'origin' | 'source' | 'sourceSha256' | 'note'>,
): Promise<{ path: string; bytes: number; sha256: string }> {
  const bytes = await canonicalBytes(b, source);
  const dest = join(dir, entry);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(dest, bytes);
  const sha256 = sha256Bytes(bytes);
  await writeRecord(dir, entry, {
    version: 1,
    backbone: b.backbone,
    ...how,
    files: [await recordFile(dir, entry, sha256)],
  });
  return { path: dest, bytes: bytes.length, sha256 };
}

/** The canonical export bytes of a state-dict source (validated by the backbone, finite). */
async function canonicalBytes(b: BackboneWeights, source: string): Promise<Uint8Array> {
  const d = b.declaration;
  const select = b.select ?? ((n: string) => Object.hasOwn(d.compact!.shapes, n));
  const { tensors } = await readWeightsFile(source, { select });
  checkFinite(tensors, source);
  b.fromRead({ storage: 'state-dict', tensors }, source);
  return canonicalSafetensors(tensors, d.compact!.shapes, d.compact!.metadata, source);
}

// ---------------------------------------------------------------------------------------------------------------
// Public entry points.

/** Locate a backbone's weights (see the module comment for the order) without reading them. */
export async function resolveWeights(b: BackboneWeights, request: WeightsRequest = {}): Promise<ResolvedWeights> {
  const d = b.declaration;
  const env = request.env ?? process.env;
  const dir = cacheDir(env);
  if (request.weights !== undefined && request.weights !== '') {
    const path = await locate(b, request.weights, '');
    const g = await genuine(dir, b, path);
    return { path, origin: 'explicit', verified: g.verified, ...(g.note ? { note: g.note } : {}) };
  }
  const fromEnv = env[d.envVar];
  if (fromEnv) {
    const path = await locate(b, fromEnv, ` (from ${d.envVar})`);
    const g = await genuine(dir, b, path);
    return { path, origin: 'env', verified: g.verified, ...(g.note ? { note: g.note } : {}) };
  }
  const mode = request.verifyCache ?? 'fast';
  const official = await checkEntry(dir, b, d.cacheName, mode);
  if (official) return official;
  const imported = await checkEntry(dir, b, d.unverifiedCacheName, mode);
  if (imported) return { ...imported, note: imported.note ?? 'imported from a file that is not the official one' };
  if (request.download === false) {
    throw new WeightsError(
      `${d.title} weights not found (no weights path, ${d.envVar} unset, nothing cached in ${quote(dir)}) and downloading is disabled; the official files are at ${d.official[0].url}`,
      { code: 'WEIGHTS_NOT_FOUND', url: d.official[0].url, backbone: b.backbone },
    );
  }
  return download(dir, b, request);
}

/** Make sure the official weights are in the cache (checked, or downloaded); explicit paths and env are ignored. */
export async function fetchWeights(
  b: BackboneWeights,
  request: Omit<WeightsRequest, 'weights'> = {},
): Promise<ResolvedWeights> {
  const dir = cacheDir(request.env);
  const cached = await checkEntry(dir, b, b.declaration.cacheName, request.verifyCache ?? 'full');
  return cached ?? download(dir, b, request);
}

/** Read what a resolved path holds (state dict or TF.js model), check finiteness, and let the backbone validate it. */
async function readResolved(b: BackboneWeights, path: string): Promise<WeightMap> {
  let read: WeightsRead;
  if (b.declaration.storage === 'state-dict') {
    const { tensors } = await readWeightsFile(path, b.select ? { select: b.select } : {});
    checkFinite(tensors, path);
    read = { storage: 'state-dict', tensors };
  } else {
    const model = await readTfjsLayersModel(path, b.select ? { select: b.select } : {});
    checkFinite(model.weights, path);
    read = { storage: 'tfjs-layers', model };
  }
  const weights = b.fromRead(read, path);
  // Derived weights (e.g. batch norm folded into convolutions) can overflow even when the stored ones are finite.
  if (weights !== (read.storage === 'state-dict' ? read.tensors : read.model.weights)) checkFinite(weights, path);
  return weights;
}

/** Locate and read a backbone's weights; the WeightMap is validated and finite. */
export async function loadWeights(b: BackboneWeights, request: WeightsRequest = {}): Promise<LoadedWeights> {
  const r = await resolveWeights(b, request);
  const weights = await readResolved(b, r.path);
  return { ...r, weights, source: r.path };
}

export interface ImportResult {
  readonly backbone: string;
  /** The cache entry written (the compact file, or the model folder). */
  readonly path: string;
  readonly verified: boolean;
  readonly note?: string;
  readonly bytes: number;
}

/**
 * Import local weights into the cache: validated, checked finite and written with an integrity record. The genuine
 * files go to the official cache entry; anything else to the backbone's unverified entry (never the official name),
 * and later runs that use it report `verified: false`.
 */
export async function importWeights(
  b: BackboneWeights,
  file: string,
  request: Pick<WeightsRequest, 'log' | 'env'> = {},
): Promise<ImportResult> {
  const d = b.declaration;
  const dir = cacheDir(request.env);
  const path = await locate(b, file, '');
  const g = await genuine(dir, b, path);
  const entry = g.verified ? d.cacheName : d.unverifiedCacheName;
  const note = g.verified ? undefined : `imported from ${quote(path)}: ${g.note}`;
  const how = {
    verified: g.verified,
    origin: 'import' as const,
    source: path,
    ...(g.sha256 ? { sourceSha256: g.sha256 } : {}),
    ...(note ? { note } : {}),
  };
  if (d.storage === 'state-dict') {
    const r = await writeCompact(dir, b, path, entry, how);
    request.log?.(`imported ${path} into ${r.path}`);
    return { backbone: b.backbone, path: r.path, verified: g.verified, ...(note ? { note } : {}), bytes: r.bytes };
  }
  // TF.js: validate the whole model first, then copy model.json and the shards it lists, recording their hashes.
  await readResolved(b, path);
  const model = await readTfjsLayersModel(path, { select: () => false });
  const names = ['model.json', ...model.groups.flatMap((grp) => grp.paths)];
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${entry}.${process.pid}.tmp`);
  await rm(tmp, { recursive: true, force: true });
  let bytes = 0;
  try {
    const hashes: [string, string][] = [];
    for (const n of names) {
      const data = await readFile(join(dirname(path), n));
      await mkdir(dirname(join(tmp, n)), { recursive: true });
      await writeFile(join(tmp, n), data);
      hashes.push([n, sha256Bytes(data)]);
      bytes += data.length;
    }
    const dest = join(dir, entry);
    await rm(recordPath(dir, entry), { force: true });
    await rm(dest, { recursive: true, force: true });
    await rename(tmp, dest);
    const files = await Promise.all(hashes.map(([n, h]) => recordFile(dir, `${entry}/${n}`, h)));
    await writeRecord(dir, entry, { version: 1, backbone: b.backbone, ...how, files });
    request.log?.(`imported ${path} into ${dest}`);
    return { backbone: b.backbone, path: dest, verified: g.verified, ...(note ? { note } : {}), bytes };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export interface ExportResult {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
  /** Where the tensors came from, and whether that source is the genuine file (then `sha256` is the one to pin). */
  readonly source: ResolvedWeights;
  /** True when `sha256` equals the pinned hash of the canonical export. */
  readonly matchesPinned: boolean;
}

/**
 * Write the canonical compact subset of a state-dict backbone's weights (sorted keys, fixed metadata, fixed
 * alignment: the bytes depend only on the tensors) to `out`, atomically. The source is resolved as for scoring.
 */
export async function exportWeights(
  b: BackboneWeights,
  out: string,
  request: WeightsRequest = {},
): Promise<ExportResult> {
  const d = b.declaration;
  if (d.storage !== 'state-dict' || !d.compact) {
    throw new UsageError(
      `backbone '${b.backbone}' has nothing to export: its weights (${d.title}) are used as published`,
      { code: 'UNSUPPORTED', backbone: b.backbone },
    );
  }
  const source = await resolveWeights(b, request);
  const bytes = await canonicalBytes(b, source.path);
  try {
    await writeFileAtomic(out, bytes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new WeightsError(
      `cannot write ${quote(out)}${code === 'ENOENT' ? ': its folder does not exist' : `: ${quote((e as Error).message)}`}`,
      { code: 'WEIGHTS_NOT_FOUND', path: out, cause: e },
    );
  }
  const sha256 = sha256Bytes(bytes);
  return { path: out, bytes: bytes.length, sha256, source, matchesPinned: d.compact.sha256 === sha256 };
}

export interface CacheEntryInfo {
  readonly backbone: string;
  /** `official` (made from the genuine files) or `unverified` (imported from other files). */
  readonly kind: 'official' | 'unverified';
  readonly path: string;
  readonly bytes: number;
  /** `ok` (the integrity check passed) or the error message. */
  readonly integrity: string;
  readonly verified: boolean;
  readonly note?: string;
  /** SHA-256 of the compact file (state dict): for an official entry, the canonical export hash. */
  readonly sha256?: string;
}

export interface CacheInfo {
  readonly dir: string;
  readonly exists: boolean;
  readonly entries: readonly CacheEntryInfo[];
}

/** What is cached for each backbone, with the result of its integrity check. */
export async function cacheInfo(
  backbones: readonly BackboneWeights[],
  request: Pick<WeightsRequest, 'env'> = {},
): Promise<CacheInfo> {
  const dir = cacheDir(request.env);
  const exists = (await stat(dir).catch(() => undefined))?.isDirectory() === true;
  const entries: CacheEntryInfo[] = [];
  if (!exists) return { dir, exists, entries };
  for (const b of backbones) {
    for (const [kind, name] of [
      ['official', b.declaration.cacheName],
      ['unverified', b.declaration.unverifiedCacheName],
    ] as const) {
      const main = entryFile(dir, b.declaration, name);
      if (!(await isFile(main))) continue;
      const path = join(dir, name);
      let integrity = 'ok';
      let verified = false;
      let note: string | undefined;
      try {
        const r = (await checkEntry(dir, b, name, 'fast'))!;
        verified = r.verified;
        note = r.note;
      } catch (e) {
        integrity = (e as Error).message;
      }
      const record = await readRecord(dir, name);
      const bytes = record ? record.files.reduce((s, f) => s + f.bytes, 0) : (await stat(main)).size;
      const sha256 = b.declaration.storage === 'state-dict' ? record?.files[0]?.sha256 : undefined;
      entries.push({
        backbone: b.backbone,
        kind,
        path,
        bytes,
        integrity,
        verified,
        ...(note ? { note } : {}),
        ...(sha256 ? { sha256 } : {}),
      });
    }
  }
  return { dir, exists, entries };
}
