"""Check the synthetic VGG16 weight files written by tools/synthetic-weights.ts with the real PyTorch.

    npx tsx tools/synthetic-weights.ts --out /tmp/syn
    /usr/bin/python3 tools/reference/check_synthetic_weights.py /tmp/syn [--seed 20251]

torch.load (PyTorch 1.13) must read the legacy and zip .pth files, and all three formats must hold exactly the
values of an independent NumPy implementation of the generator (definition in tools/synthetic-weights/generator.ts).
"""
import argparse
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch

LAYERS = [(0, 64, 3), (2, 64, 64), (5, 128, 64), (7, 128, 128), (10, 256, 128), (12, 256, 256), (14, 256, 256),
          (17, 512, 256), (19, 512, 512), (21, 512, 512), (24, 512, 512)]


def mix32(x):
    """Vectorised mix32 on uint32 arrays (uint64 products truncated to 32 bits = Math.imul)."""
    x = x.astype(np.uint64)
    m = np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & m
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & m
    x ^= x >> np.uint64(16)
    return x


def stream(s, n, seed, scale):
    seed_mix = mix32(np.array([seed], dtype=np.uint64))[0]
    key = (np.uint64(s) * np.uint64(1 << 24) + np.arange(n, dtype=np.uint64)) & np.uint64(0xFFFFFFFF)
    h = mix32(key ^ seed_mix).astype(np.float64)
    u = (h + 0.5) / 2.0 ** 32
    return ((2 * u - 1) * scale).astype(np.float32)


def expected(seed):
    out = {}
    for L, (idx, o, i) in enumerate(LAYERS):
        out[f'features.{idx}.weight'] = stream(2 * L + 1, o * i * 9, seed, np.sqrt(6 / (i * 9))).reshape(o, i, 3, 3)
        out[f'features.{idx}.bias'] = stream(2 * L + 2, o, seed, 0.05)
    return out


def read_safetensors(path):
    raw = Path(path).read_bytes()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        assert info['dtype'] == 'F32'
        b, e = info['data_offsets']
        out[name] = np.frombuffer(raw[base + b:base + e], dtype='<f4').reshape(info['shape'])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dir')
    ap.add_argument('--seed', type=int, default=20251)
    a = ap.parse_args()
    ref = expected(a.seed)
    d = Path(a.dir)
    loaded = {
        'safetensors': read_safetensors(d / 'vgg16-synthetic.safetensors'),
        'legacy (torch.load)': {k: v.numpy() for k, v in torch.load(d / 'vgg16-synthetic-legacy.pth').items()},
        'zip (torch.load)': {k: v.numpy() for k, v in torch.load(d / 'vgg16-synthetic-zip.pth').items()},
    }
    ok = True
    for fmt, sd in loaded.items():
        same = list(sd.keys()) == list(ref.keys()) and all(
            sd[k].dtype == np.float32 and sd[k].shape == ref[k].shape and np.array_equal(sd[k].view(np.uint32), ref[k].view(np.uint32))
            for k in ref)
        print(f'{fmt}: {"bit-identical to the NumPy generator" if same else "MISMATCH"}')
        ok &= same
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
