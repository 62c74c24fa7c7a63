/**
 * Option validation, in one place, for every public entry (createDeepSSIM, createLoss, scorePairs, …). In the spirit
 * of sharp's lib/is.js: each check names the option, what it expects and what it received, e.g.
 * "Expected an integer between 1 and 256 for threads but received 300 of type number". Failures are UsageErrors
 * with code INVALID_OPTION and the structured fields `option`, `expected`, `actual`.
 *
 * The CLI takes its choices and ranges from the constants here (VARIANTS, SALIENCY_MODES, MAX_THREADS,
 * SALIENCY_THRESHOLD_RANGE; the tile minimum is the backbone's stride, `tileMinimum`), never from literals.
 */
import { quote, UsageError } from './errors.js';
import type { LossVariant } from './graph/statistic.js';

/**
 * `full` and `lite` are the paper's variants; `full-normalized` (full with each Gram divided by its image's h·w
 * before the block statistic, so rescaled copies are not penalised for their size) is an extension of this project.
 */
export type Variant = 'full' | 'lite' | 'full-normalized';
export const VARIANTS: readonly Variant[] = ['full', 'lite', 'full-normalized'];
/** The variants the loss offers (the paper's two; `full-normalized` is a metric-only extension). */
export const LOSS_VARIANTS: readonly LossVariant[] = ['full', 'lite'];
/** The backbone used when none is named (the published configuration). */
export const DEFAULT_BACKBONE = 'vgg16';

/** How the saliency-calibrated variant gets each image's mask. */
export type SaliencyMode = 'none' | 'gbvs';
export const SALIENCY_MODES: readonly SaliencyMode[] = ['none', 'gbvs'];

/** Most intra-op threads accepted (ONNX Runtime accepts more, but nothing gains from them). */
export const MAX_THREADS = 256;
/** The saliency binarisation threshold t: mask = map8bit > t·255, t in [0, 1). */
export const SALIENCY_THRESHOLD_RANGE = { min: 0, max: 1, maxExclusive: true } as const;

/** A short, safe description of a received value: `300 of type number`, `"x" of type string`, `null`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string':
      return `${quote(value, 60)} of type string`;
    case 'number':
    case 'bigint':
    case 'boolean':
      return `${String(value)} of type ${typeof value}`;
    case 'function':
      return 'a function';
    default: {
      if (Array.isArray(value)) return `an array of length ${value.length}`;
      const name = (value as object).constructor?.name;
      return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
    }
  }
}

/** The error for an option that fails its check. */
export function invalidOption(option: string, expected: string, actual: unknown): UsageError {
  return new UsageError(`Expected ${expected} for ${option} but received ${describeValue(actual)}`, {
    code: 'INVALID_OPTION',
    option,
    expected,
    actual: typeof actual === 'object' || typeof actual === 'function' ? describeValue(actual) : actual,
  });
}

export const is = {
  defined: <T>(v: T | undefined): v is T => v !== undefined,
  integer: (v: unknown): v is number => Number.isInteger(v),
  number: (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v),
  string: (v: unknown): v is string => typeof v === 'string',
  plainObject: (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null),
  inRange: (v: number, min: number, max: number, maxExclusive = false): boolean =>
    v >= min && (maxExclusive ? v < max : v <= max),
  oneOf: <T>(v: unknown, choices: readonly T[]): v is T => choices.includes(v as T),
};

/** `options` itself: undefined (→ {}) or a plain object. */
export function checkOptionsObject<T extends object>(value: T | undefined | null, what = 'options'): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidOption(what, 'an object', value);
  return value;
}

/** An integer in [min, max], or undefined when `optional`. */
export function checkInteger(
  option: string,
  value: unknown,
  min: number,
  max: number = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  if (!is.integer(value) || !is.inRange(value, min, max)) {
    const range =
      max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer between ${min} and ${max}`;
    throw invalidOption(option, range, value);
  }
  return value;
}

/** A finite number in [min, max] (or [min, max) with maxExclusive). */
export function checkNumber(
  option: string,
  value: unknown,
  range: { min: number; max: number; maxExclusive?: boolean },
): number | undefined {
  if (value === undefined) return undefined;
  if (!is.number(value) || !is.inRange(value, range.min, range.max, range.maxExclusive)) {
    throw invalidOption(option, `a number in [${range.min}, ${range.max}${range.maxExclusive ? ')' : ']'}`, value);
  }
  return value;
}

/** One of a fixed list of strings. */
export function checkOneOf<T extends string>(option: string, value: unknown, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!is.oneOf(value, choices))
    throw invalidOption(option, `one of ${choices.map((c) => `'${c}'`).join(', ')}`, value);
  return value;
}

export function checkBoolean(option: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalidOption(option, 'a boolean', value);
  return value;
}

export function checkString(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw invalidOption(option, 'a non-empty string', value);
  return value;
}

export function checkFunction(option: string, value: unknown): ((...args: never[]) => unknown) | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw invalidOption(option, 'a function', value);
  return value as (...args: never[]) => unknown;
}

/**
 * Weights: a location (non-empty string), bytes (Uint8Array) or tensors in memory (a Map of name → tensor). What
 * the bytes or tensors hold is checked when they are read.
 */
export function checkWeights(value: unknown, option = 'weights'): void {
  if (value === undefined || value instanceof Uint8Array || value instanceof Map) return;
  if (typeof value !== 'string' || value === '')
    throw invalidOption(option, 'a file location, a Uint8Array or a Map of tensors', value);
}

/** A `[reference, test]` pair of values (e.g. saliency maps), or undefined. */
export function checkPair<T>(option: string, value: unknown): readonly [T, T] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length !== 2) throw invalidOption(option, 'an array [reference, test]', value);
  return value as unknown as readonly [T, T];
}

/** Intra-op threads: an integer between 1 and MAX_THREADS. */
export function checkThreads(value: unknown, option = 'threads'): number | undefined {
  return checkInteger(option, value, 1, MAX_THREADS);
}

/** Saliency threshold in [0, 1). */
export function checkSaliencyThreshold(value: unknown, option = 'saliencyThreshold'): number | undefined {
  return checkNumber(option, value, SALIENCY_THRESHOLD_RANGE);
}

/**
 * Tile side: `false` (never tile) or an integer of at least the backbone's stride (one feature cell; it is rounded
 * down to a multiple of the stride).
 */
export function checkTile(value: unknown, stride: number, option = 'tile'): number | false | undefined {
  if (value === undefined || value === false) return value;
  if (!is.integer(value) || value < stride)
    throw invalidOption(option, `false or an integer of at least ${stride} (the backbone's stride)`, value);
  return value;
}
