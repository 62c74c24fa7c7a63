/**
 * Resource limits for every reader of untrusted input, in one place (documented in docs/limits.md). Each reader
 * checks declared sizes against these limits and against the size of the input it was actually given *before*
 * allocating or decompressing anything, so a small hostile file can never make deepssim use much more memory or
 * time than a genuine file of the same size. An input beyond a limit is refused with a LimitError
 * (code LIMIT_EXCEEDED) naming the limit.
 *
 * The values are far above what any genuine file needs (noted per constant) and far below what would hurt a host.
 */

/** Largest weights file read (bytes): torchvision's VGG16 .pth is 528 MB, the full VGG16 as float32 safetensors 553 MB. */
export const MAX_WEIGHTS_FILE_BYTES = 2 * 1024 ** 3;

/** Largest pickle (a zip .pth's data.pkl, or a legacy .pth's pickles) (bytes): a VGG16 state dict's is ~3 KB. */
export const MAX_PICKLE_BYTES = 16 * 1024 ** 2;

/** Most objects (containers, strings, tensors) one pickle may build: a state dict needs ~6 per tensor. */
export const MAX_PICKLE_OBJECTS = 1_000_000;

/** Most memo entries one pickle may hold: a state dict needs ~5 per tensor. */
export const MAX_PICKLE_MEMO = 1_000_000;

/** Deepest nesting of containers (dicts, lists, tuples) a pickle may build: a state dict needs 3–4. */
export const MAX_PICKLE_DEPTH = 64;

/** Longest LONG1/LONG4 integer in a pickle (bytes): state dicts hold versions and sizes (≤ 8 bytes). */
export const MAX_PICKLE_LONG_BYTES = 64;

/** Most tensors in one weights file: VGG16 has 32, large language models a few thousand. */
export const MAX_TENSORS = 100_000;

/**
 * Most elements all "expanded" tensors of one file may have together: views whose zero or overlapping strides
 * repeat storage elements (torch.save keeps `x.expand(…)` as such a view). Every other tensor is bounded by the
 * bytes of its storage, hence by the file.
 */
export const MAX_EXPANDED_ELEMENTS = 16 * 1024 ** 2;

/** Longest tensor name (characters): real names are dotted paths of a few dozen characters. */
export const MAX_TENSOR_NAME = 4096;

/** Highest tensor rank accepted (PyTorch's own limit is 64; real weights have ≤ 5 dimensions). */
export const MAX_TENSOR_RANK = 16;

/** Largest safetensors JSON header (bytes): the limit the safetensors specification itself sets (100 MB). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100 * 1000 * 1000;

/** Deepest JSON nesting accepted (safetensors headers need 3, TF.js model.json a Keras config about 10). */
export const MAX_JSON_DEPTH = 64;

/** Largest TF.js model.json (bytes): MobileNet v1's is 90 KB. */
export const MAX_MODEL_JSON_BYTES = 64 * 1024 ** 2;

/** Most entries in a zip archive (a .pth has one per storage plus ~5; an xlsx a few dozen). */
export const MAX_ZIP_ENTRIES = 100_000;

/**
 * Largest ratio of inflated to deflated size: DEFLATE cannot exceed 1032:1, so a larger declared ratio is a lie, and
 * every inflation is capped at the entry's declared size (which must itself respect this ratio).
 */
export const MAX_DEFLATE_RATIO = 1032;

/**
 * Most bytes the deflated entries of one zip .pth may inflate to (torch.save writes stored entries, which cost
 * nothing to read; deflated ones only appear in re-zipped archives).
 */
export const MAX_ZIP_INFLATED_BYTES = 64 * 1024 ** 2;

/** Largest MAT-file read (bytes): LIVE's dmos_realigned.mat is 14 KB. */
export const MAX_MAT_FILE_BYTES = 256 * 1024 ** 2;

/** Most bytes all miCOMPRESSED elements of one MAT-file may inflate to. */
export const MAX_MAT_INFLATED_BYTES = 16 * 1024 ** 2;

/** Deepest nesting of cell arrays in a MAT-file (LIVE's refnames_all is a cell of char arrays: depth 2). */
export const MAX_MAT_DEPTH = 32;

/** Largest dataset score file read (CSV, TXT, XLSX) (bytes): KADID-10k's dmos.csv is 330 KB, CSIQ's xlsx 400 KB. */
export const MAX_DATA_FILE_BYTES = 32 * 1024 ** 2;

/** Largest total inflated size of the parts of an xlsx workbook (bytes). */
export const MAX_XLSX_INFLATED_BYTES = 32 * 1024 ** 2;

/** Longest a third-party parser (the xlsx reader) may run before it is abandoned (milliseconds). */
export const PARSER_TIMEOUT_MS = 15_000;

/**
 * Most pixels per byte of RLE data a BMP may declare. RLE can skip pixels (delta, end-of-line, end-of-bitmap), so
 * real files exceed the 127:1 of plain runs, but not by orders of magnitude.
 */
export const BMP_MAX_RLE_RATIO = 4096;

/** Largest image file read (bytes): a 61 MP camera TIFF is ~ 370 MB uncompressed. */
export const MAX_IMAGE_FILE_BYTES = 512 * 1024 ** 2;

/**
 * Decompression-bomb guard for encoded images: above IMAGE_BOMB_MIN_PIXELS, an image may declare at most
 * IMAGE_MAX_PIXELS_PER_BYTE pixels per byte of its file. Camera photos and renders have 0.3–15 pixels per byte;
 * a single-colour PNG reaches ~350 and a bomb far more, yet costs seconds and gigabytes to score. Refused from the
 * header, before decoding.
 */
export const IMAGE_BOMB_MIN_PIXELS = 4_000_000;
export const IMAGE_MAX_PIXELS_PER_BYTE = 64;
