/** One reference/distorted pair with its subjective score. Paths are absolute. */
export interface ManifestEntry {
  reference: string;
  distorted: string;
  score: number;
  /** Distortion type, when the dataset says. */
  type?: string;
}

/** A dataset as the harness sees it. */
export interface Manifest {
  /** Layout it was read from: manifest-csv, live, csiq, tid2013, kadid10k. */
  layout: string;
  /** Root folder (manifest folder for CSV manifests). */
  root: string;
  entries: ManifestEntry[];
  /** True when a higher subjective score means better quality (MOS); false for DMOS. */
  higherIsBetter: boolean;
}
