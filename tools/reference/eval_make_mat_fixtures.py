#!/usr/bin/python3
"""Writes the tiny MAT-file fixtures used by test/eval-datasets.test.ts with SciPy's independent MAT writer.

    /usr/bin/python3 tools/reference/eval_make_mat_fixtures.py

- live-mini/dmos_realigned.mat (compressed, v5): dmos_new, orgs, dmos_std — 982 values in LIVE's order
- live-mini/refnames_all.mat  (compressed): refnames_all, a 1×982 cell of reference file names
- live-mini/dmos.mat          (uncompressed): dmos, orgs (the pre-realignment file)
- mat-types.mat (uncompressed) + mat-types.json: assorted classes to check the reader
"""
import json
import os

import numpy as np
from scipy.io import savemat

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'eval')
N = 982
REFS = [f'ref{i:02d}.bmp' for i in range(29)]


def main():
    live = os.path.join(OUT, 'live-mini')
    os.makedirs(live, exist_ok=True)
    i = np.arange(N)
    dmos_new = np.round(100 * np.abs(np.sin(i * 0.37)), 4)
    orgs = (i % 37 == 5).astype(np.float64)  # a few "original" entries that loaders must skip
    dmos_new[orgs == 1] = 0
    refnames = np.empty((1, N), dtype=object)
    for k in range(N):
        refnames[0, k] = REFS[(k * 7) % 29]
    savemat(os.path.join(live, 'dmos_realigned.mat'),
            {'dmos_new': dmos_new[None, :], 'orgs': orgs[None, :], 'dmos_std': np.full((1, N), 3.5)},
            do_compression=True)
    savemat(os.path.join(live, 'refnames_all.mat'), {'refnames_all': refnames}, do_compression=True)
    savemat(os.path.join(live, 'dmos.mat'), {'dmos': (dmos_new + 1)[None, :], 'orgs': orgs[None, :]},
            do_compression=False)
    cell = np.empty((2, 1), dtype=object)
    cell[0, 0] = 'abc'
    cell[1, 0] = np.array([[1.5, -2.0]])
    types = {
        'd2': np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
        'i16': np.array([[-3, 7, 300]], dtype=np.int16),
        'u8': np.array([[0, 255]], dtype=np.uint8),
        'flag': np.array([[True, False, True]]),
        'chars': np.array(['ab', 'cd']),
        'scalar': 42.0,
        'cell': cell,
    }
    savemat(os.path.join(OUT, 'mat-types.mat'), types, do_compression=False)
    expected = {
        'd2': {'dims': [2, 3], 'data': [1, 4, 2, 5, 3, 6]},
        'i16': {'dims': [1, 3], 'data': [-3, 7, 300]},
        'u8': {'dims': [1, 2], 'data': [0, 255]},
        'flag': {'dims': [1, 3], 'data': [1, 0, 1]},
        'chars': {'rows': ['ab', 'cd']},
        'scalar': {'dims': [1, 1], 'data': [42]},
        'cell': {'dims': [2, 1]},
    }
    with open(os.path.join(OUT, 'mat-types.json'), 'w') as f:
        json.dump(expected, f, indent=1)
    with open(os.path.join(live, 'expected.json'), 'w') as f:
        json.dump({'dmos_new': dmos_new.tolist(), 'orgs': orgs.tolist(), 'refnames': [REFS[(k * 7) % 29] for k in range(N)]}, f)


if __name__ == '__main__':
    main()
