/**
 * Error types that carry the CLI exit code they map to. Library users can `instanceof`-check them;
 * the CLI prints `error: <message>` and exits with `exitCode`.
 */
export class DeepSSIMError extends Error {
  /** 1 = runtime error (bad file, corrupt weights, …), 2 = usage error. */
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2 = 1, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeepSSIMError';
    this.exitCode = exitCode;
  }
}

/** The caller passed something that can never work (bad option, wrong type, image too small). */
export class UsageError extends DeepSSIMError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** A weights file is unreadable, unsafe, truncated, has wrong shapes, or a download failed verification. */
export class WeightsError extends DeepSSIMError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 1, options);
    this.name = 'WeightsError';
  }
}

/** An image could not be read or decoded, or is unusable (e.g. smaller than the minimum size). */
export class ImageError extends DeepSSIMError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 1, options);
    this.name = 'ImageError';
  }
}
