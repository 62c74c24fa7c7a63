#!/usr/bin/python3
"""PyTorch float64 autograd of DeepSSIM as a loss (loss = 1 − score), for the fixtures of test/loss.test.ts.

Independent of the TypeScript graph: the forward computation is deepssim_reference.py's (VGG16 to relu5_1 with the
project's synthetic weights, Gram, full/lite statistic), differentiated by torch.autograd in float64.

  /usr/bin/python3 tools/reference/loss_reference.py fixtures   # rewrite test/fixtures/loss/*
  /usr/bin/python3 tools/reference/loss_reference.py fdcheck    # autograd vs float64 central differences (sanity)
  /usr/bin/python3 tools/reference/loss_reference.py ops        # test/fixtures/loss/ops.json: the layer-op vocabulary

The `ops` fixture checks the backward pass of every layer op the loss graph knows (strided with dropped rows, depthwise, TF-'same'
asymmetric pads, Clip as ReLU6, Relu, MaxPool with odd sizes) on a small random stack, through L = Σ F ⊙ R.

Inputs are stored as float32 (what the TS side feeds) and read back as float64 here, so both sides see the same pixels.
Fixture layout: cases.json (shapes, losses, file names) + little-endian float32 .f32 files, NCHW.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deepssim_reference import ROOT, SEED, Vgg, full_score, gram, lite_score, load_rgb, synthetic_weights  # noqa: E402

OUT = os.path.join(ROOT, 'test', 'fixtures', 'loss')


def batch_loss(vgg, variant, test, ref):
    """Per-image losses [N] of test vs ref (ref batch 1 broadcasts)."""
    ft, fr = vgg.features(test), vgg.features(ref)
    gt, nt = gram(ft)
    gr, nr = gram(fr)
    out = []
    for i in range(test.shape[0]):
        a = gr[i if gr.shape[0] > 1 else 0][None]
        b = gt[i][None]
        s = full_score(a, b) if variant == 'full' else lite_score(a, nr, b, nt)
        out.append(1 - s)
    return torch.stack(out)


def value_and_grads(vgg, variant, test32, ref32):
    t = torch.from_numpy(test32.astype(np.float64)).requires_grad_(True)
    r = torch.from_numpy(ref32.astype(np.float64)).requires_grad_(True)
    loss = batch_loss(vgg, variant, t, r)
    gt, gr = torch.autograd.grad(loss.sum(), [t, r])  # losses are independent per image
    return loss.detach().numpy(), gt.numpy(), gr.numpy()


def box_blur(x, k=3):
    p = k // 2
    xp = np.pad(x, ((0, 0), (p, p), (p, p)), mode='edge')
    out = np.zeros_like(x)
    for dy in range(k):
        for dx in range(k):
            out += xp[:, dy:dy + x.shape[1], dx:dx + x.shape[2]]
    return out / (k * k)


def make_pair(path, top, left, h, w, seed):
    """A crop of a fixture image (reference) and a blurred, noisy, 1-px-shifted copy (test), both float32 [3,h,w]."""
    img = load_rgb(os.path.join(ROOT, path))[0].numpy()
    ref = img[:, top:top + h, left:left + w]
    moved = img[:, top + 1:top + 1 + h, left:left + w]
    rng = np.random.default_rng(seed)
    test = np.clip(box_blur(moved) + rng.normal(0, 0.03, moved.shape), 0, 1)
    return test.astype(np.float32), ref.astype(np.float32)


CASES = [
    # name, [(image, top, left, seed)], H, W, store reference gradients
    ('batch2_48x64', [('test/fixtures/images/scene_a.png', 10, 20, 1), ('test/fixtures/images/scene_b.png', 30, 40, 2)], 48, 64, True),
    ('odd_97x131', [('test/fixtures/images/scene_a.png', 5, 12, 3)], 97, 131, False),
]


def write_f32(name, arr):
    np.ascontiguousarray(arr, dtype='<f4').tofile(os.path.join(OUT, name))
    return name


def make_fixtures():
    torch.set_num_threads(os.cpu_count() or 1)
    vgg = Vgg(synthetic_weights(), torch.float64)
    os.makedirs(OUT, exist_ok=True)
    cases = []
    for name, crops, h, w, with_ref in CASES:
        pairs = [make_pair(p, t, l, h, w, s) for (p, t, l, s) in crops]
        test = np.stack([p[0] for p in pairs])
        ref = np.stack([p[1] for p in pairs])
        case = {'name': name, 'shape': list(test.shape), 'test': write_f32(f'{name}.test.f32', test),
                'reference': write_f32(f'{name}.reference.f32', ref), 'variants': {}}
        for variant in ('lite', 'full'):
            loss, gt, gr = value_and_grads(vgg, variant, test, ref)
            v = {'loss': loss.tolist(), 'grad': write_f32(f'{name}.{variant}.grad.f32', gt),
                 'gradNorm': float(np.linalg.norm(gt))}
            if with_ref:
                v['gradReference'] = write_f32(f'{name}.{variant}.grad_reference.f32', gr)
            case['variants'][variant] = v
            print(f'{name} {variant}: loss {loss}  |grad| {np.linalg.norm(gt):.6e}  |grad_ref| {np.linalg.norm(gr):.6e}')
        cases.append(case)
    with open(os.path.join(OUT, 'cases.json'), 'w') as f:
        json.dump({'seed': SEED, 'torch': torch.__version__, 'generator': 'tools/reference/loss_reference.py',
                   'dtype': 'float32 little-endian NCHW', 'cases': cases}, f, indent=1)


def fdcheck():
    """Autograd vs float64 central differences on a few pixels (checks the reference itself)."""
    vgg = Vgg(synthetic_weights(), torch.float64)
    test, ref = make_pair('test/fixtures/images/scene_a.png', 5, 12, 40, 52, 7)
    test, ref = test[None], ref[None]
    rng = np.random.default_rng(0)
    for variant in ('lite', 'full'):
        _, gt, _ = value_and_grads(vgg, variant, test, ref)
        for _ in range(4):
            c, y, x = rng.integers(3), rng.integers(40), rng.integers(52)
            h = 1e-4
            tp, tm = test.astype(np.float64), test.astype(np.float64)
            tp = tp.copy()
            tm = tm.copy()
            tp[0, c, y, x] += h
            tm[0, c, y, x] -= h
            with torch.no_grad():
                lp = float(batch_loss(vgg, variant, torch.from_numpy(tp), torch.from_numpy(ref.astype(np.float64)))[0])
                lm = float(batch_loss(vgg, variant, torch.from_numpy(tm), torch.from_numpy(ref.astype(np.float64)))[0])
            print(f'{variant} ({c},{y},{x}) autograd {gt[0, c, y, x]:.9e} fd {(lp - lm) / (2 * h):.9e}')


def same_upper(n, s, k):
    total = max(0, (-(-n // s) - 1) * s + k - n)
    return total // 2, total - total // 2


# kind, cin, cout, k, stride, pads ('same' or int), group, activation
OPS_STACK = [('conv', 3, 8, 3, 2, 'same', 1, 'clip'), ('conv', 8, 8, 3, 1, 1, 8, 'relu'),
             ('conv', 8, 8, 3, 2, 1, 1, 'relu'), ('conv', 8, 8, 3, 2, 'same', 8, 'clip'), ('conv', 8, 12, 1, 1, 0, 1, 'relu'), ('pool',),
             ('conv', 12, 16, 3, 1, 1, 1, 'relu')]


def ops_forward(x, params):
    h = x * 2 - 1
    for op, p in zip(OPS_STACK, params):
        if op[0] == 'pool':
            h = F.max_pool2d(h, 2, 2)
            continue
        _, cin, cout, k, s, pad, group, act = op
        if pad == 'same':
            t, b = same_upper(h.shape[2], s, k)
            l, r = same_upper(h.shape[3], s, k)
            h = F.pad(h, (l, r, t, b))
            pad = 0
        h = F.conv2d(h, p[0], p[1], stride=s, padding=pad, groups=group)
        h = torch.clamp(h, 0, 6) if act == 'clip' else F.relu(h)
    return h


def make_ops_fixture():
    rng = np.random.default_rng(77)
    params, out_params = [], []
    for op in OPS_STACK:
        if op[0] == 'pool':
            params.append(None)
            out_params.append(None)
            continue
        _, cin, cout, k, s, pad, group, act = op
        fan = cin // group * k * k
        w = (rng.uniform(-1, 1, (cout, cin // group, k, k)) * 2.5 * np.sqrt(3.0 / fan)).astype(np.float32)
        b = rng.uniform(-0.3, 0.6, cout).astype(np.float32)
        params.append((torch.from_numpy(w.astype(np.float64)), torch.from_numpy(b.astype(np.float64))))
        out_params.append({'weight': w.ravel().tolist(), 'shape': list(w.shape), 'bias': b.tolist()})
    cases = []
    for shape in ([1, 3, 39, 46], [2, 3, 28, 34]):
        x32 = rng.uniform(0, 1, shape).astype(np.float32)
        x = torch.from_numpy(x32.astype(np.float64)).requires_grad_(True)
        f = ops_forward(x, params)
        r32 = rng.normal(0, 1, tuple(f.shape)).astype(np.float32)
        (g,) = torch.autograd.grad((f * torch.from_numpy(r32.astype(np.float64))).sum(), [x])
        cases.append({'shape': shape, 'input': x32.ravel().tolist(), 'featureShape': list(f.shape),
                      'r': r32.ravel().tolist(), 'grad': g.numpy().ravel().tolist()})
        clipped = float(((f > 0) & (f < 6)).double().mean())
        print(f'ops {shape}: features {list(f.shape)}, |grad| {float(g.norm()):.4e}, share in (0,6) {clipped:.2f}')
    with open(os.path.join(OUT, 'ops.json'), 'w') as fh:
        json.dump({'stack': [list(o) for o in OPS_STACK], 'params': out_params, 'cases': cases}, fh)


if __name__ == '__main__':
    cmd = sys.argv[1] if len(sys.argv) > 1 else ''
    if cmd == 'fixtures':
        make_fixtures()
    elif cmd == 'ops':
        make_ops_fixture()
    elif cmd == 'fdcheck':
        fdcheck()
    else:
        sys.exit(__doc__)
