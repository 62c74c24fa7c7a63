/**
 * What `eval` reads: a MOS/DMOS manifest CSV, a votes CSV (detected by its set,reference,a,b,winner header), a
 * dataset folder of a known layout (LIVE, CSIQ, TID2013, KADID-10k, a folder with manifest.csv) or a BAPPS 2AFC
 * folder. The subjective score's direction is always stated: from the dataset layout, from the column name (mos,
 * dmos), from the caller, or — for a plain `score` column with no instruction — assumed MOS-like and said so.
 */
import { join } from 'node:path';
import { DataError, quote } from '../errors.js';
import { detectLayout, loadDataset, type Manifest } from './datasets/index.js';
import { isDir, isFile } from './datasets/files.js';
import {
  looksLikeScoresHeader,
  looksLikeVotesHeader,
  parseCsvTable,
  parseScoresTable,
  readCsvText,
  type CsvSource,
} from './pairs-csv.js';
import { isBappsLayout, loadBapps, votesFromTable, type VotesData } from './votes.js';

export interface ScoreDirection {
  higherIsBetter: boolean;
  /** Why: `dataset` (known layout), `column` (mos/dmos), `option` (the caller said), `assumed`. */
  source: 'dataset' | 'column' | 'option' | 'assumed';
  /** One sentence for people, e.g. "DMOS (lower = better), the LIVE convention". */
  description: string;
}

export type EvalInput =
  { kind: 'mos'; manifest: Manifest; direction: ScoreDirection } | { kind: 'votes'; data: VotesData };

export interface LoadEvalOptions {
  /** The caller's statement of the score direction (CLI: --lower-better / --higher-better); undefined = not given. */
  higherIsBetter?: boolean;
  stdin?: NodeJS.ReadableStream;
  /** The folder paths read from standard input resolve against (default: the current directory). */
  cwd?: string;
  /** Check that every image file exists before any scoring (default true). */
  checkFiles?: boolean;
}

const KNOWN: Record<string, string> = { live: 'LIVE', csiq: 'CSIQ', tid2013: 'TID2013', kadid10k: 'KADID-10k' };
const word = (h: boolean) => (h ? 'MOS-like (higher = better)' : 'DMOS-like (lower = better)');

function checkExists(paths: Iterable<{ path: string; where: string }>, name: string): void {
  const seen = new Set<string>();
  for (const { path, where } of paths) {
    if (seen.has(path)) continue;
    seen.add(path);
    if (!isFile(path))
      throw new DataError(`${quote(name)}, ${where}: no such image file ${quote(path)}`, {
        code: 'DATA_NOT_FOUND',
        path,
      });
  }
}

async function loadCsv(source: CsvSource, options: LoadEvalOptions): Promise<EvalInput> {
  const { text, name, baseDir } = await readCsvText(source, 'manifest or votes file');
  const table = parseCsvTable(text, name, baseDir, {
    what: 'manifest',
    isHeader: (keys) => looksLikeVotesHeader(keys) || looksLikeScoresHeader(keys),
  });
  if (table.hasHeader && looksLikeVotesHeader(table.keys)) {
    const data = votesFromTable(table);
    if (options.checkFiles !== false) {
      checkExists(
        data.votes.flatMap((v) =>
          [v.reference, v.a, v.b].map((path) => ({
            path,
            where: `vote ${v.index + 1} (line ${table.rows[v.index].line})`,
          })),
        ),
        name,
      );
    }
    return { kind: 'votes', data };
  }
  const scores = parseScoresTable(table);
  let direction: ScoreDirection;
  if (options.higherIsBetter !== undefined) {
    direction = {
      higherIsBetter: options.higherIsBetter,
      source: 'option',
      description: `${word(options.higherIsBetter)}, as the command line says`,
    };
    if (scores.impliedHigherIsBetter !== undefined && scores.impliedHigherIsBetter !== options.higherIsBetter) {
      throw new DataError(
        `manifest ${quote(name)} has a ${scores.scoreColumn} column, which is ${word(scores.impliedHigherIsBetter)}, but the score direction given is ${word(options.higherIsBetter)}`,
        { path: name, row: 1 },
      );
    }
  } else if (scores.impliedHigherIsBetter !== undefined) {
    direction = {
      higherIsBetter: scores.impliedHigherIsBetter,
      source: 'column',
      description: `${word(scores.impliedHigherIsBetter)}, from the ${scores.scoreColumn} column`,
    };
  } else {
    direction = {
      higherIsBetter: true,
      source: 'assumed',
      description: `${word(true)}, assumed: the ${scores.scoreColumn} column does not say (name it mos or dmos, or state the direction)`,
    };
  }
  if (options.checkFiles !== false) {
    checkExists(
      scores.rows.flatMap((r) =>
        [r.reference, r.distorted].map((path) => ({ path, where: `line ${r.line} (pair ${r.index + 1})` })),
      ),
      name,
    );
  }
  const manifest: Manifest = {
    layout: 'manifest-csv',
    root: baseDir,
    entries: scores.rows.map((r) =>
      r.type === undefined
        ? { reference: r.reference, distorted: r.distorted, score: r.score }
        : { reference: r.reference, distorted: r.distorted, score: r.score, type: r.type },
    ),
    higherIsBetter: direction.higherIsBetter,
  };
  return { kind: 'mos', manifest, direction };
}

/** Load whatever `eval` was given (see the module comment). */
export async function loadEvalInput(path: string, options: LoadEvalOptions = {}): Promise<EvalInput> {
  if (path === '-' || isFile(path)) return loadCsv({ path, stdin: options.stdin, cwd: options.cwd }, options);
  if (!isDir(path))
    throw new DataError(`no such manifest, votes file or dataset folder: ${quote(path)}`, {
      code: 'DATA_NOT_FOUND',
      path,
    });
  if (await isBappsLayout(path)) return { kind: 'votes', data: await loadBapps(path) };
  const layout = detectLayout(path);
  if (layout === 'manifest-csv') return loadCsv({ path: join(path, 'manifest.csv') }, options);
  const manifest = await loadDataset(path);
  const label = KNOWN[manifest.layout] ?? manifest.layout;
  if (options.higherIsBetter !== undefined && options.higherIsBetter !== manifest.higherIsBetter) {
    throw new DataError(
      `${quote(path)} is a ${label} folder, whose scores are ${word(manifest.higherIsBetter)}; the score direction given contradicts it`,
      { path },
    );
  }
  return {
    kind: 'mos',
    manifest,
    direction: {
      higherIsBetter: manifest.higherIsBetter,
      source: 'dataset',
      description: `${word(manifest.higherIsBetter)}, the ${label} convention`,
    },
  };
}
