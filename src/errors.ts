/**
 * The library's errors. Every error deepssim throws on purpose is a DeepSSIMError subclass with a stable,
 * machine-readable `code` and structured `details`; messages are one line, and untrusted text inside them is quoted
 * and truncated (see `quote`). The library knows nothing of exit codes or command-line wording: the CLI maps codes to
 * exit codes and adds its own hints (src/cli).
 *
 * Classification (documented in the README's error table):
 * - UsageError  — the call itself can never work whatever the files contain: an unknown option, a value of the wrong
 *                 type or range, an unknown backbone, a feature a backbone does not offer, a disposed metric.
 * - ImageError  — an image (or saliency map) is missing, unreadable, corrupt, too small or too large.
 * - WeightsError — weights cannot be found, downloaded, verified, parsed safely, or have the wrong tensors/values.
 * - DataError   — a dataset, manifest, votes or pairs file is missing, malformed or inconsistent.
 * - LimitError  — an input asks for more work or memory than the documented limits allow (a decompression bomb,
 *                 an absurd declared size, nesting deeper than any genuine file needs).
 * - ComputeError — the computation produced something unusable (a non-finite score) or a backend failed.
 */

/** Stable error codes. Adding a code is fine; renaming or removing one is a breaking change. */
export const ERROR_CODES = {
  // UsageError
  INVALID_OPTION: 'an option has the wrong type, range or combination',
  UNKNOWN_BACKBONE: 'no backbone is registered under that name',
  UNSUPPORTED: 'the backbone or platform does not offer the requested feature',
  DISPOSED: 'the metric was used after dispose()',
  // ImageError
  IMAGE_NOT_FOUND: 'an image file does not exist or is not a file',
  IMAGE_UNREADABLE: 'an image could not be read or decoded (corrupt, truncated, not an image)',
  IMAGE_TOO_SMALL: 'an image is smaller than the backbone minimum side',
  IMAGE_TOO_LARGE: 'an image exceeds the pixel limit',
  IMAGE_SIZE_MISMATCH: 'two images that must have the same size do not (e.g. an image and its saliency map)',
  // WeightsError
  WEIGHTS_NOT_FOUND: 'no weights file was given or cached, and downloading is off or impossible',
  WEIGHTS_DOWNLOAD_FAILED: 'a download failed (network, HTTP status)',
  WEIGHTS_HASH_MISMATCH: 'a file does not have the SHA-256 it must have (download or cache integrity)',
  WEIGHTS_CORRUPT: 'a weights file is truncated or malformed for its format',
  WEIGHTS_UNSAFE: 'a weights file asks to run code or use a global outside the allow-list',
  WEIGHTS_WRONG_MODEL: 'tensors are missing, have the wrong shape or dtype, or belong to another backbone',
  WEIGHTS_NOT_FINITE: 'a weight is NaN or infinite',
  // DataError
  DATA_NOT_FOUND: 'a dataset, manifest or pairs file does not exist',
  DATA_INVALID: 'a dataset, manifest or pairs file is malformed',
  // LimitError
  LIMIT_EXCEEDED: 'an input exceeds a documented resource limit',
  // ComputeError
  SCORE_NOT_FINITE: 'the computation produced a non-finite score',
  BACKEND_FAILED: 'the inference backend failed',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Structured facts about an error, for programs (all optional). */
export interface ErrorDetails {
  /** The file or URL concerned. */
  path?: string;
  url?: string;
  /** Tensor name, expected and actual shape (weights). */
  tensor?: string;
  expected?: unknown;
  actual?: unknown;
  /** SHA-256 expected / found. */
  sha256?: string;
  /** The option concerned (library spelling, e.g. `saliencyThreshold`). */
  option?: string;
  /** The limit concerned (name of the constant) and its value. */
  limit?: string;
  /** Row / line in a data file (1-based). */
  row?: number;
  [key: string]: unknown;
}

export interface ErrorOptions extends ErrorDetails {
  code?: ErrorCode;
  cause?: unknown;
}

/** Most characters of untrusted text an error message quotes. */
export const MAX_QUOTED = 200;

/**
 * Quote untrusted text for an error message: one line (control characters escaped), at most MAX_QUOTED characters of
 * it, in double quotes. Use for anything that came from a file, a header, a network reply or a user string.
 */
export function quote(text: unknown, max = MAX_QUOTED): string {
  let s: string;
  try {
    s = typeof text === 'string' ? text : String(text);
  } catch {
    s = '<unprintable>';
  }
  const cut = s.length > max;
  if (cut) s = s.slice(0, max);
  // eslint-disable-next-line no-control-regex
  s = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\\"]/g, (c) =>
    c === '\\' ? '\\\\' : c === '"' ? '\\"' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `"${s}${cut ? '…' : ''}"`;
}

/** Make any message one line (the library's messages never contain newlines). */
function oneLine(message: string): string {
  return message.replace(/[\r\n]+/g, ' ');
}

export class DeepSSIMError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;
  constructor(message: string, options: ErrorOptions = {}, defaultCode: ErrorCode = 'BACKEND_FAILED') {
    const { code, cause, ...details } = options;
    super(oneLine(message), cause === undefined ? undefined : { cause });
    this.name = 'DeepSSIMError';
    this.code = code ?? defaultCode;
    this.details = details;
  }
}

/** The call can never work (option, type, range, unknown backbone, unsupported feature, disposed). */
export class UsageError extends DeepSSIMError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options, 'INVALID_OPTION');
    this.name = 'UsageError';
  }
}

/** An image could not be read or decoded, or is unusable (too small, too large, size mismatch). */
export class ImageError extends DeepSSIMError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options, 'IMAGE_UNREADABLE');
    this.name = 'ImageError';
  }
}

/** Weights are missing, unverifiable, unsafe, malformed, of another model, or not finite. */
export class WeightsError extends DeepSSIMError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options, 'WEIGHTS_CORRUPT');
    this.name = 'WeightsError';
  }
}

/** A dataset, manifest, votes or pairs file is missing or malformed. */
export class DataError extends DeepSSIMError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options, 'DATA_INVALID');
    this.name = 'DataError';
  }
}

/** An input exceeds a documented resource limit (size, decompression, nesting, time). */
export class LimitError extends DeepSSIMError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options, 'LIMIT_EXCEEDED');
    this.name = 'LimitError';
  }
}

/** The computation produced an unusable result (non-finite score) or a backend failed. */
export class ComputeError extends DeepSSIMError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options, 'BACKEND_FAILED');
    this.name = 'ComputeError';
  }
}

/** Error codes that mean "the call is wrong" (the CLI's usage exit code); every other code is a runtime error. */
export const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_OPTION',
  'UNKNOWN_BACKBONE',
  'UNSUPPORTED',
  'DISPOSED',
]);
