/**
 * One reader for every CSV the command line takes: `batch` pairs, `eval` score manifests and `eval` votes files.
 *
 * - Header names are case-insensitive and trimmed; `test` and `distorted` are aliases (so the same file works for
 *   `batch` and `eval`); the subjective score column is `score`, `mos` (higher = better) or `dmos` (lower = better).
 * - The delimiter (`,`, `;` or tab) is detected from the header line: the one that occurs most often outside quotes.
 * - `-` reads the file from standard input (relative paths then resolve against the current directory).
 * - Messages name the file line ("line 5") and, for data rows, the pair/vote index ("pair 4").
 * Parsing itself is csv-parse's (RFC 4180 quoting, BOM, CRLF).
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DataError, LimitError, quote } from '../errors.js';

/** Largest CSV read into memory (a million pairs of long paths is well below this). */
export const MAX_CSV_BYTES = 512 * 1024 * 1024;

export interface CsvRow {
  /** Field values by lower-cased header name. */
  fields: Record<string, string>;
  /** Raw values in header order (original text, trimmed). */
  values: string[];
  /** 1-based line of the file where the row starts. */
  line: number;
}

export interface CsvTable {
  /** What to call the file in messages (the path as given, or "standard input"). */
  name: string;
  /** Folder relative paths in the file resolve against. */
  baseDir: string;
  delimiter: ',' | ';' | '\t';
  /** Header names as written (trimmed). */
  columns: string[];
  /** Lower-cased header names. */
  keys: string[];
  /** Whether the first line was taken as a header. */
  hasHeader: boolean;
  rows: CsvRow[];
}

/** Where a CSV comes from: a path, or `-` for standard input. */
export interface CsvSource {
  path: string;
  /** Standard input stream (injectable for tests; default process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /** The folder paths read from standard input resolve against (default: the current directory). */
  cwd?: string;
}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_CSV_BYTES)
      throw new LimitError(`standard input exceeds ${MAX_CSV_BYTES} bytes`, { limit: 'MAX_CSV_BYTES' });
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Read the text of a CSV file (or stdin for `-`) with clear messages for folders and missing files. */
export async function readCsvText(
  source: CsvSource,
  what = 'CSV file',
): Promise<{ text: string; name: string; baseDir: string }> {
  if (source.path === '-') {
    return {
      text: await readStream(source.stdin ?? process.stdin),
      name: 'standard input',
      baseDir: source.cwd ?? process.cwd(),
    };
  }
  const path = source.path;
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DataError(`no such ${what} ${quote(path)}${code === 'ENOENT' ? '' : ` (${code})`}`, {
      code: 'DATA_NOT_FOUND',
      path,
      cause: err,
    });
  }
  if (info.isDirectory()) {
    throw new DataError(`${quote(path)} is a folder; expected a ${what}`, { code: 'DATA_INVALID', path });
  }
  if (info.size > MAX_CSV_BYTES) {
    throw new LimitError(`${what} ${quote(path)} is ${info.size} bytes, more than ${MAX_CSV_BYTES}`, {
      path,
      limit: 'MAX_CSV_BYTES',
    });
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read ${what} ${quote(path)}: ${(err as NodeJS.ErrnoException).code ?? 'read error'}`, {
      path,
      cause: err,
    });
  }
  return { text, name: path, baseDir: dirname(resolve(path)) };
}

/** The delimiter occurring most often outside double quotes in the first non-empty line (`,` on a tie or none). */
export function detectDelimiter(text: string): ',' | ';' | '\t' {
  const body = text.replace(/^\uFEFF/, '');
  const lines = body.split(/\r?\n/);
  const first = lines.find((l) => l.trim() !== '' && !l.trimStart().startsWith('#')) ?? '';
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of first) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch]++;
  }
  let best: ',' | ';' | '\t' = ',';
  for (const d of [';', '\t'] as const) if (counts[d] > counts[best]) best = d;
  return best;
}

export interface ParseOptions {
  /**
   * Decide from the lower-cased first row whether it is a header (default: always). A file whose first row is not a
   * header is read positionally by the caller.
   */
  isHeader?: (firstRowKeys: string[]) => boolean;
  what?: string;
}

/** Parse CSV text into a table. Lines starting with `#` and empty lines are skipped. */
export function parseCsvTable(text: string, name: string, baseDir: string, options: ParseOptions = {}): CsvTable {
  const what = options.what ?? 'CSV file';
  const delimiter = detectDelimiter(text);
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, {
      delimiter,
      bom: true,
      trim: true,
      skip_empty_lines: true,
      comment: '#',
      comment_no_infix: true,
      relax_column_count: true,
      info: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    throw new DataError(
      `cannot parse ${what} ${quote(name)}${line ? ` at line ${line}` : ''}: ${quote((err as Error).message)}`,
      {
        path: name,
        row: line,
        cause: err,
      },
    );
  }
  if (records.length === 0) throw new DataError(`${what} ${quote(name)} is empty`, { path: name });
  const first = records[0].record.map((c) => c.trim());
  const firstKeys = first.map((c) => c.toLowerCase());
  const hasHeader = options.isHeader ? options.isHeader(firstKeys) : true;
  const columns = hasHeader ? first : first.map((_, i) => `column${i + 1}`);
  const keys = hasHeader ? firstKeys : columns;
  if (hasHeader) {
    const dup = keys.find((k, i) => k !== '' && keys.indexOf(k) !== i);
    if (dup !== undefined)
      throw new DataError(`${what} ${quote(name)}: column ${quote(dup)} appears twice in the header`, {
        path: name,
        row: 1,
      });
  }
  const rows: CsvRow[] = [];
  for (const { record, info } of hasHeader ? records.slice(1) : records) {
    const values = record.map((v) => v.trim());
    const fields: Record<string, string> = {};
    keys.forEach((k, i) => {
      fields[k] = values[i] ?? '';
    });
    rows.push({ fields, values, line: info.lines });
  }
  return { name, baseDir, delimiter, columns, keys, hasHeader, rows };
}

/** The first of `names` present among the table's keys, or undefined. */
export function findColumn(table: Pick<CsvTable, 'keys'>, names: readonly string[]): string | undefined {
  return names.find((n) => table.keys.includes(n));
}

/** Absolute path of a path written in a CSV (relative paths resolve against the CSV's folder). */
export function resolveIn(table: Pick<CsvTable, 'baseDir'>, p: string): string {
  return isAbsolute(p) ? p : resolve(table.baseDir, p);
}

// ---- batch: reference,test pairs ---------------------------------------------------------------------------------

/** Column names accepted for the test image (batch and eval alike). */
export const TEST_COLUMNS = ['test', 'distorted'] as const;
/** Column names accepted for the subjective score in eval manifests, with the direction each implies. */
export const SCORE_COLUMNS: ReadonlyArray<{ name: string; higherIsBetter?: boolean }> = [
  { name: 'score' },
  { name: 'mos', higherIsBetter: true },
  { name: 'dmos', higherIsBetter: false },
];

export interface PairRow {
  /** 0-based pair index (the order of the data rows). */
  index: number;
  line: number;
  reference: string;
  test: string;
  referenceSaliency?: string;
  testSaliency?: string;
  /** Every column as written in the file (original header names), for pass-through into results. */
  columns: Record<string, string>;
}

export interface PairsFile {
  table: CsvTable;
  pairs: PairRow[];
}

function describeColumns(table: CsvTable): string {
  return table.columns.map((c) => quote(c, 40)).join(', ');
}

/** Read a pairs CSV: header with `reference` and `test` (or `distorted`); optional reference_saliency, test_saliency. */
export async function readPairsFile(source: CsvSource): Promise<PairsFile> {
  const { text, name, baseDir } = await readCsvText(source, 'pairs file');
  const table = parseCsvTable(text, name, baseDir, { what: 'pairs file' });
  const testCol = findColumn(table, TEST_COLUMNS);
  if (!table.keys.includes('reference') || testCol === undefined) {
    throw new DataError(
      `pairs file ${quote(name)} needs a header with columns reference and test (or distorted); found ${describeColumns(table)}`,
      { path: name, row: 1 },
    );
  }
  if (table.rows.length === 0)
    throw new DataError(`pairs file ${quote(name)} has a header but no pairs`, { path: name });
  const pairs = table.rows.map((r, index): PairRow => {
    const f = r.fields;
    if (!f.reference || !f[testCol]) {
      throw new DataError(
        `pairs file ${quote(name)}, line ${r.line} (pair ${index + 1}): empty reference or ${testCol}`,
        { path: name, row: r.line },
      );
    }
    return {
      index,
      line: r.line,
      reference: f.reference,
      test: f[testCol],
      referenceSaliency: f.reference_saliency || undefined,
      testSaliency: f.test_saliency || undefined,
      columns: Object.fromEntries(table.columns.map((c, i) => [c, r.values[i] ?? ''])),
    };
  });
  return { table, pairs };
}

// ---- eval: reference,test|distorted,score|mos|dmos[,type] ------------------------------------------------------

export interface ScoreRow {
  index: number;
  line: number;
  reference: string;
  distorted: string;
  score: number;
  type?: string;
}

export interface ScoresFile {
  table: CsvTable;
  rows: ScoreRow[];
  /** The score column used (`score`, `mos`, `dmos`, or `column3` without a header). */
  scoreColumn: string;
  /** Direction implied by the column name (mos/dmos), undefined for `score` or headerless files. */
  impliedHigherIsBetter?: boolean;
}

/** Parse an eval manifest from text (header optional: without one the columns are reference,distorted,score[,type]). */
export function parseScoresTable(table: CsvTable): ScoresFile {
  const name = table.name;
  let refCol = 'reference';
  let testCol: string | undefined;
  let scoreCol: string | undefined;
  let implied: boolean | undefined;
  let typeCol: string | undefined;
  if (table.hasHeader) {
    testCol = findColumn(table, TEST_COLUMNS);
    const sc = SCORE_COLUMNS.find((s) => table.keys.includes(s.name));
    scoreCol = sc?.name;
    implied = sc?.higherIsBetter;
    typeCol = table.keys.includes('type') ? 'type' : undefined;
    if (!table.keys.includes('reference') || testCol === undefined || scoreCol === undefined) {
      throw new DataError(
        `manifest ${quote(name)} needs columns reference, distorted (or test) and score (or mos, dmos); found ${describeColumns(table)}`,
        { path: name, row: 1 },
      );
    }
  } else {
    refCol = 'column1';
    testCol = 'column2';
    scoreCol = 'column3';
    typeCol = table.keys.includes('column4') ? 'column4' : undefined;
  }
  const rows = table.rows.map((r, index): ScoreRow => {
    const f = r.fields;
    const raw = f[scoreCol!] ?? '';
    const score = Number(raw);
    if (!f[refCol] || !f[testCol!] || raw === '' || !Number.isFinite(score)) {
      throw new DataError(
        `manifest ${quote(name)}, line ${r.line} (pair ${index + 1}): expected reference, distorted and a numeric ${scoreCol}, got ${quote(r.values.join(table.delimiter))}`,
        { path: name, row: r.line },
      );
    }
    const row: ScoreRow = {
      index,
      line: r.line,
      reference: resolveIn(table, f[refCol]),
      distorted: resolveIn(table, f[testCol!]),
      score,
    };
    const type = typeCol ? f[typeCol] : undefined;
    if (type) row.type = type;
    return row;
  });
  if (rows.length === 0) throw new DataError(`manifest ${quote(name)} lists no image pairs`, { path: name });
  return { table, rows, scoreColumn: scoreCol, impliedHigherIsBetter: implied };
}

/** True when lower-cased first-row cells look like an eval manifest header. */
export function looksLikeScoresHeader(keys: string[]): boolean {
  return (
    keys.includes('reference') ||
    TEST_COLUMNS.some((c) => keys.includes(c)) ||
    SCORE_COLUMNS.some((s) => keys.includes(s.name))
  );
}

/** True when lower-cased header cells are those of a votes file (set,reference,a,b,winner in any order). */
export function looksLikeVotesHeader(keys: string[]): boolean {
  return ['set', 'reference', 'a', 'b', 'winner'].every((k) => keys.includes(k));
}
