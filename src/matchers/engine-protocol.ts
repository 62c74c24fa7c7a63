/** Messages between the matchers' main-thread client (engine.ts) and its worker thread (engine-worker.ts). */

/** An image as it crosses the thread boundary: a path, encoded bytes, or raw pixels (copies, transferred). */
export type WireImage =
  | { kind: 'path'; path: string }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'raw'; data: Uint8Array; width: number; height: number; channels: 1 | 2 | 3 | 4 };

export interface WireConfig {
  backbone: string;
  weights?: string;
  threads?: number;
}

export type EngineRequest =
  | {
      id: number;
      type: 'compare';
      config: WireConfig;
      reference: WireImage;
      received: WireImage;
      minScore: number;
      minLocal: number;
      /** Written (three panels: reference | received | map) only when the comparison fails. */
      diffPath?: string;
    }
  | { id: number; type: 'write'; image: WireImage; path: string }
  | { id: number; type: 'load'; config: WireConfig }
  | { id: number; type: 'dispose' };

export interface CompareReply {
  id: number;
  type: 'compare';
  score: number;
  minLocal: number;
  minLocation: { x: number; y: number; width: number; height: number };
  grid: { rows: number; cols: number; values: number[][] };
  reference: { width: number; height: number };
  test: { width: number; height: number };
  pass: boolean;
  diffWritten: boolean;
  /** Metrics created in the worker so far (one engine per worker, loaded once: 1 unless reconfigured). */
  loads: number;
}

export type EngineReply =
  | CompareReply
  | { id: number; type: 'write'; width: number; height: number }
  | { id: number; type: 'load' }
  | { id: number; type: 'dispose' }
  | {
      id: number;
      type: 'error';
      name: string;
      message: string;
      code?: string;
      details?: Record<string, unknown>;
    };
