#!/usr/bin/python3
"""Independent float64 reference computation of DeepSSIM in PyTorch, used to make the test fixtures.

Written from the paper's description (Zhang et al., TPAMI 2025) and the issue text, not from the project's
TypeScript code: VGG16 conv1_1 … relu5_1 with torch.nn.functional in float64, Gram G = F·Fᵀ, block statistic
over 4×4 windows with two-pass moments, Lite with G / (C·h·w) and one window.

Run with Debian's PyTorch 1.13 (`apt-get install python3-torch python3-torchvision python3-pil`):

  /usr/bin/python3 tools/reference/deepssim_reference.py fixtures           # rewrite test/fixtures/reference/*.json
  /usr/bin/python3 tools/reference/deepssim_reference.py score A.png B.png  # print full/lite scores
  /usr/bin/python3 tools/reference/deepssim_reference.py bench --threads 2  # float32 timing for bench/speed.ts
  /usr/bin/python3 tools/reference/deepssim_reference.py write-weights OUT.safetensors

Weights are the project's deterministic synthetic VGG16 weights (seed 20251), generated here with numpy by the
same counter-based hash as tools/synthetic-weights.ts, so no weight file has to be shared between the two.
"""
import argparse
import hashlib
import json
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SHARED = os.path.abspath(os.path.join(ROOT, '..', 'shared'))
FIXTURES = os.path.join(ROOT, 'test', 'fixtures')

# (torchvision index, in, out, pool after)
LAYERS = [(0, 3, 64, False), (2, 64, 64, True), (5, 64, 128, False), (7, 128, 128, True),
          (10, 128, 256, False), (12, 256, 256, False), (14, 256, 256, True),
          (17, 256, 512, False), (19, 512, 512, False), (21, 512, 512, True), (24, 512, 512, False)]
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
C_STAB = 1e-6
SEED = 20251


# ---------------------------------------------------------------- synthetic weights
def mix32(x):
    x = x.astype(np.uint32)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7feb352d)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846ca68b)
    x ^= x >> np.uint32(16)
    return x


def uniform(stream, n, seed):
    i = np.arange(n, dtype=np.uint64)
    key = ((np.uint64(stream) << np.uint64(24)) + i) & np.uint64(0xFFFFFFFF)
    s = mix32(np.array([seed], dtype=np.uint64).astype(np.uint32))[0]
    h = mix32(key.astype(np.uint32) ^ s)
    return (h.astype(np.float64) + 0.5) / 4294967296.0


def synthetic_weights(seed=SEED):
    """state-dict name -> float32 numpy array (He-uniform weights, small uniform biases)."""
    out = {}
    for li, (idx, cin, cout, _) in enumerate(LAYERS):
        u = uniform(2 * li + 1, cout * cin * 9, seed)
        out[f'features.{idx}.weight'] = ((2 * u - 1) * np.sqrt(6.0 / (cin * 9))).astype(np.float32).reshape(cout, cin, 3, 3)
        u = uniform(2 * li + 2, cout, seed)
        out[f'features.{idx}.bias'] = ((2 * u - 1) * 0.05).astype(np.float32)
    return out


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        b = np.ascontiguousarray(arr, dtype=np.float32).tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(arr.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


# ---------------------------------------------------------------- model
def load_rgb(path):
    """PIL's convert('RGB') as in the authors' demo; returns float64 [1,3,H,W] in [0,1]."""
    img = Image.open(path).convert('RGB')
    a = np.asarray(img, dtype=np.float64) / 255.0
    return torch.from_numpy(a.transpose(2, 0, 1).copy()).unsqueeze(0)


def load_mask(path):
    """Binary mask from a saved saliency map: nonzero -> 1 (first channel, as the authors' prepare_salimg)."""
    a = np.asarray(Image.open(path).convert('RGB'))[:, :, 0]
    return torch.from_numpy((a != 0).astype(np.float64))[None, None]


class Vgg:
    def __init__(self, weights, dtype):
        self.params = [(torch.from_numpy(weights[f'features.{i}.weight']).to(dtype),
                        torch.from_numpy(weights[f'features.{i}.bias']).to(dtype), pool)
                       for (i, _, _, pool) in LAYERS]
        self.dtype = dtype
        self.mean = torch.tensor(MEAN, dtype=dtype).view(1, 3, 1, 1)
        self.std = torch.tensor(STD, dtype=dtype).view(1, 3, 1, 1)

    def features(self, x, mask=None):
        h = (x.to(self.dtype) - self.mean) / self.std
        for k, (w, b, pool) in enumerate(self.params):
            h = F.relu(F.conv2d(h, w, b, padding=1))
            if k == 0 and mask is not None:
                h = h * mask.to(self.dtype)
            if pool:
                h = F.max_pool2d(h, 2, 2)
        return h


def gram(feat):
    n, c, h, w = feat.shape
    f = feat.reshape(n, c, h * w)
    return f @ f.transpose(1, 2), h * w


def full_score(ga, gb):
    """Mean over 4×4 blocks of (2σab + c)/(σa² + σb² + c), two-pass population moments."""
    def blocks(g):
        c = g.shape[-1]
        return g.reshape(c // 4, 4, c // 4, 4).permute(0, 2, 1, 3).reshape(c // 4, c // 4, 16)
    a, b = blocks(ga[0]), blocks(gb[0])
    da = a - a.mean(-1, keepdim=True)
    db = b - b.mean(-1, keepdim=True)
    s = (2 * (da * db).mean(-1) + C_STAB) / ((da * da).mean(-1) + (db * db).mean(-1) + C_STAB)
    return s.mean()


def lite_score(ga, na, gb, nb):
    c = ga.shape[-1]
    a = ga[0] / (c * na)
    b = gb[0] / (c * nb)
    da, db = a - a.mean(), b - b.mean()
    return (2 * (da * db).mean() + C_STAB) / ((da * da).mean() + (db * db).mean() + C_STAB)


def authors_style_full(ga, gb):
    """The authors' arithmetic: float32, unfold, one-pass covariance E[xy] − μxμy."""
    x = ga.float().unfold(1, 4, 4).unfold(2, 4, 4)
    y = gb.float().unfold(1, 4, 4).unfold(2, 4, 4)
    mx, my = x.mean(dim=(3, 4), keepdim=True), y.mean(dim=(3, 4), keepdim=True)
    vx, vy = ((x - mx) ** 2).mean(dim=(3, 4), keepdim=True), ((y - my) ** 2).mean(dim=(3, 4), keepdim=True)
    cov = (x * y).mean(dim=(3, 4), keepdim=True) - mx * my
    return ((2 * cov + C_STAB) / (vx + vy + C_STAB)).mean()


def score_pair(vgg, ref, test, mask_ref=None, mask_test=None):
    with torch.no_grad():
        fa, fb = vgg.features(ref, mask_ref), vgg.features(test, mask_test)
        ga, na = gram(fa)
        gb, nb = gram(fb)
        return {
            'full': float(full_score(ga, gb)),
            'lite': float(lite_score(ga, na, gb, nb)),
            'full_authors_float32_onepass': float(authors_style_full(ga, gb)),
            'cells': [[fa.shape[2], fa.shape[3]], [fb.shape[2], fb.shape[3]]],
        }


# ---------------------------------------------------------------- fixtures
IMG = 'test/fixtures/images'
PAIRS = [
    ('identical', f'{IMG}/scene_a.png', f'{IMG}/scene_a.png'),
    ('jpeg-q15', f'{IMG}/scene_a.png', f'{IMG}/scene_a_q15.jpg'),
    ('different-size', f'{IMG}/scene_a.png', f'{IMG}/scene_a_small.png'),
    ('shifted-3px', f'{IMG}/scene_a.png', f'{IMG}/scene_a_shift3.png'),
    ('unrelated', f'{IMG}/scene_a.png', f'{IMG}/scene_b.png'),
    ('gray-vs-rgb', f'{IMG}/scene_a.png', f'{IMG}/scene_a_gray.png'),
    ('alpha-dropped', f'{IMG}/scene_a_rgba.png', f'{IMG}/scene_b.png'),
    ('png16-vs-jpeg', f'{IMG}/scene_a_16bit.png', f'{IMG}/scene_a_q15.jpg'),
    ('bmp24-vs-shift', f'{IMG}/scene_a.bmp', f'{IMG}/scene_a_shift3.png'),
    ('bmp8-palette', f'{IMG}/scene_b_palette.bmp', f'{IMG}/scene_b.png'),
    ('minimum-16px', f'{IMG}/tiny16_a.png', f'{IMG}/tiny16_b.png'),
    ('live-jpeg-womanhat-img1', '../shared/datasets/live-jpeg/reference/womanhat.png',
     '../shared/datasets/live-jpeg/distorted/img1.png'),
]
MASKED = [
    ('masked-identical', f'{IMG}/scene_a.png', f'{IMG}/scene_a.png', f'{IMG}/mask_a.png', f'{IMG}/mask_a.png'),
    ('masked-shifted', f'{IMG}/scene_a.png', f'{IMG}/scene_a_shift3.png', f'{IMG}/mask_a.png', f'{IMG}/mask_a_shift3.png'),
    ('masked-different-size', f'{IMG}/scene_a.png', f'{IMG}/scene_a_small.png', f'{IMG}/mask_a.png', f'{IMG}/mask_a_small.png'),
    ('masked-unrelated', f'{IMG}/scene_a.png', f'{IMG}/scene_b.png', f'{IMG}/mask_a.png', f'{IMG}/mask_b.png'),
    ('masked-jpeg', f'{IMG}/scene_a.png', f'{IMG}/scene_a_q15.jpg', f'{IMG}/mask_a.png', f'{IMG}/mask_a_q15.png'),
]


def tensor_digests(weights):
    return {k: hashlib.sha256(np.ascontiguousarray(v, dtype='<f4').tobytes()).hexdigest() for k, v in weights.items()}


def make_fixtures():
    torch.set_num_threads(os.cpu_count() or 1)
    weights = synthetic_weights()
    vgg = Vgg(weights, torch.float64)
    out = {'generator': {'seed': SEED, 'sha256_float32_le': tensor_digests(weights)},
           'torch': torch.__version__, 'pairs': []}
    for name, a, b in PAIRS:
        pa, pb = os.path.join(ROOT, a), os.path.join(ROOT, b)
        if not (os.path.exists(pa) and os.path.exists(pb)):
            print(f'skip {name}: missing {a if not os.path.exists(pa) else b}', file=sys.stderr)
            continue
        r = score_pair(vgg, load_rgb(pa), load_rgb(pb))
        out['pairs'].append({'name': name, 'reference': a, 'test': b, **r})
        print(f"{name:28s} full {r['full']:.9f}  lite {r['lite']:.9f}  authors-f32 {r['full_authors_float32_onepass']:.9f}")
    for name, a, b, ma, mb in MASKED:
        r = score_pair(vgg, load_rgb(os.path.join(ROOT, a)), load_rgb(os.path.join(ROOT, b)),
                       load_mask(os.path.join(ROOT, ma)), load_mask(os.path.join(ROOT, mb)))
        out['pairs'].append({'name': name, 'reference': a, 'test': b, 'maskReference': ma, 'maskTest': mb, **r})
        print(f"{name:28s} full {r['full']:.9f}  lite {r['lite']:.9f}")
    os.makedirs(os.path.join(FIXTURES, 'reference'), exist_ok=True)
    with open(os.path.join(FIXTURES, 'reference', 'deepssim-synthetic.json'), 'w') as f:
        json.dump(out, f, indent=1)


def bench(threads, sizes, repeats):
    """Median ms of the float32 PyTorch computation of one pair (forward of both images + Gram + statistic)."""
    torch.set_num_threads(threads)
    vgg = Vgg(synthetic_weights(), torch.float32)
    rows = []
    for (w, h) in sizes:
        g = torch.Generator().manual_seed(0)
        a, b = torch.rand(1, 3, h, w, generator=g), torch.rand(1, 3, h, w, generator=g)
        times = []
        with torch.no_grad():
            for k in range(repeats + 1):
                t0 = time.perf_counter()
                ga, _ = gram(vgg.features(a))
                gb, _ = gram(vgg.features(b))
                full_score(ga.double(), gb.double())
                if k:
                    times.append((time.perf_counter() - t0) * 1000)
        rows.append({'width': w, 'height': h, 'median_ms': statistics.median(times), 'runs': repeats})
    print(json.dumps({'torch': torch.__version__, 'threads': threads,
                      'mkldnn': torch.backends.mkldnn.is_available(), 'rows': rows}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    sub.add_parser('fixtures')
    s = sub.add_parser('score')
    s.add_argument('reference')
    s.add_argument('test')
    b = sub.add_parser('bench')
    b.add_argument('--threads', type=int, default=os.cpu_count())
    b.add_argument('--repeats', type=int, default=5)
    b.add_argument('--sizes', default='224x224,512x384')
    w = sub.add_parser('write-weights')
    w.add_argument('out')
    args = ap.parse_args()
    if args.cmd == 'fixtures':
        make_fixtures()
    elif args.cmd == 'score':
        r = score_pair(Vgg(synthetic_weights(), torch.float64), load_rgb(args.reference), load_rgb(args.test))
        print(json.dumps(r))
    elif args.cmd == 'bench':
        sizes = [tuple(int(v) for v in s.split('x')) for s in args.sizes.split(',')]
        bench(args.threads, sizes, args.repeats)
    elif args.cmd == 'write-weights':
        write_safetensors(args.out, synthetic_weights())


if __name__ == '__main__':
    main()
