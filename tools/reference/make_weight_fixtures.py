"""Small weights fixtures written by the real torch.save of PyTorch 1.13, for test/weights.test.ts.

    /usr/bin/python3 tools/reference/make_weight_fixtures.py

Writes into test/fixtures/weights/:
  tiny-legacy.pth / tiny-zip.pth  a real state_dict (OrderedDict with _metadata) of Conv2d + BatchNorm2d plus extra
                                  tensors: float64, float16, bfloat16, a transposed (non-contiguous) view, a view
                                  with a storage offset sharing its storage with another entry, an expanded
                                  (stride 0) view and a 0-d scalar; legacy = _use_new_zipfile_serialization=False
  tiny-expected.json              names, dtypes, shapes, strides, storage offsets and the float32 values of each
  evil.pkl                        plain pickle whose REDUCE calls os.system (posix.system)
  evil-eval.pkl                   plain pickle whose REDUCE calls builtins.eval
  evil-legacy.pth / evil-zip.pth  torch.save of a dict holding a tensor and such an object
  counter-zip.pth                 torch.save of a dict with a collections.Counter (a non-tensor global)
  namespace-legacy.pth            torch.save of a dict with an argparse.Namespace (a class from a module)
  old-style-legacy.pth            legacy file in the pre-0.4 style of torchvision's vgg16-397923af.pth: tensors
                                  rebuilt by torch._utils._rebuild_tensor (4 arguments), storage locations 'cuda:0',
                                  one storage referenced through a view (view_metadata = (key, offset, size));
                                  written by write_old_style() below and checked with torch.load
The malicious command would create MARKER (below); the tests assert it never appears.
"""
import argparse
import collections
import json
import os
import pickle
import struct
from pathlib import Path

import torch

OUT = Path(__file__).resolve().parents[2] / 'test' / 'fixtures' / 'weights'
MARKER = '/tmp/deepssim-weights-test-pwned.marker'


class Evil:
    def __reduce__(self):
        return (os.system, (f'echo pwned > {MARKER}',))


class EvilEval:
    def __reduce__(self):
        return (eval, (f"open('{MARKER}', 'w').write('pwned')",))


class _RebuildTensor:
    """Pickles as torch._utils._rebuild_tensor(storage, offset, size, stride), like torch < 0.4 did."""

    def __init__(self, *args):
        self.args = args

    def __reduce__(self):
        return (torch._utils._rebuild_tensor, self.args)


class _StorageRef:
    def __init__(self, root_key, root, view=None, view_key=None):
        self.root_key, self.root, self.view, self.view_key = root_key, root, view, view_key


def write_old_style(path, entries):
    """entries: name -> (_StorageRef, offset, size, stride). Mirrors the pre-0.4 legacy torch.save layout."""
    roots = {}

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if not isinstance(obj, _StorageRef):
                return None
            roots[obj.root_key] = obj.root
            view_metadata = None if obj.view is None else (obj.view_key, obj.view[0], obj.view[1])
            return ('storage', torch.FloatStorage, obj.root_key, 'cuda:0', obj.root.numel(), view_metadata)

    with open(path, 'wb') as f:
        pickle.dump(0x1950a86a20f9469cfc6c, f, protocol=2)
        pickle.dump(1001, f, protocol=2)
        pickle.dump({'protocol_version': 1001, 'little_endian': True, 'type_sizes': {'short': 2, 'int': 4, 'long': 4}}, f, protocol=2)
        sd = collections.OrderedDict((name, _RebuildTensor(*args)) for name, args in entries.items())
        Pickler(f, protocol=2).dump(sd)
        keys = sorted(roots)
        pickle.dump(keys, f, protocol=2)
        for k in keys:
            f.write(struct.pack('<q', roots[k].numel()))
            f.write(roots[k].numpy().astype('<f4').tobytes())


def tiny_state_dict():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    with torch.no_grad():
        model[1].running_mean.uniform_(-1, 1)
        model[1].running_var.uniform_(0.5, 2)
        model[1].num_batches_tracked.fill_(7)
    sd = model.state_dict()  # OrderedDict with a _metadata attribute
    base = torch.arange(20, dtype=torch.float32) * 0.25 - 2
    sd['extra.shared_base'] = base
    sd['extra.offset_view'] = base[5:11].view(2, 3)  # storage offset 5, same storage as shared_base
    sd['extra.transposed'] = (torch.arange(12, dtype=torch.float32) / 7).view(4, 3).t()  # stride (1, 3)
    sd['extra.double'] = torch.tensor([[1 / 3, -2.5e-8, 1e10], [3.141592653589793, -0.0, 65504.5]], dtype=torch.float64)
    sd['extra.half'] = torch.tensor([0.1, -2.0, 65504.0, 6e-8, 1 / 3], dtype=torch.float16)
    sd['extra.bfloat16'] = torch.tensor([0.1, -2.0, 3e38, 1e-39, 1 / 3], dtype=torch.bfloat16)
    sd['extra.expanded'] = torch.tensor([1.5, -0.5, 2.0]).expand(2, 3)  # stride (0, 1)
    sd['extra.scalar'] = torch.tensor(0.75)
    return sd


def describe(sd):
    out = []
    for name, t in sd.items():
        values = t.detach().to(torch.float32).contiguous().reshape(-1).tolist()
        out.append({
            'name': name,
            'dtype': str(t.dtype).replace('torch.', ''),
            'shape': list(t.shape),
            'stride': list(t.stride()),
            'storage_offset': t.storage_offset(),
            'sum': float(t.detach().to(torch.float64).sum()),
            'first': values[:4],
            'values': values,
        })
    return out


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    sd = tiny_state_dict()
    torch.save(sd, OUT / 'tiny-legacy.pth', _use_new_zipfile_serialization=False)
    torch.save(sd, OUT / 'tiny-zip.pth')
    # Round-trip through torch.load to be sure the expected values are what torch itself reads back.
    for f in ('tiny-legacy.pth', 'tiny-zip.pth'):
        back = torch.load(OUT / f)
        assert list(back.keys()) == list(sd.keys()) and all(torch.equal(back[k], sd[k]) for k in sd)
        assert back['extra.transposed'].stride() == (1, 3) and back['extra.offset_view'].storage_offset() == 5
    expected = {
        'torch_version': torch.__version__,
        'metadata_keys': list(sd._metadata.keys()),
        'marker': MARKER,
        'tensors': describe(sd),
    }
    root_a = torch.arange(24, dtype=torch.float32) / 8 - 1
    root_b = torch.linspace(-1, 1, 10)
    write_old_style(OUT / 'old-style-legacy.pth', {
        'features.0.weight': (_StorageRef('140100', root_a), 0, (2, 3, 2, 2), (12, 4, 2, 1)),
        'features.0.bias': (_StorageRef('140200', root_b, (4, 6), '140300'), 1, (3,), (2,)),
    })
    old = torch.load(OUT / 'old-style-legacy.pth', map_location='cpu')
    expected['old_style'] = describe(old)
    (OUT / 'tiny-expected.json').write_text(json.dumps(expected, indent=1) + '\n')

    (OUT / 'evil.pkl').write_bytes(pickle.dumps(Evil(), protocol=2))
    (OUT / 'evil-eval.pkl').write_bytes(pickle.dumps(EvilEval(), protocol=2))
    w = torch.ones(2, 2)
    torch.save({'w': w, 'evil': Evil()}, OUT / 'evil-legacy.pth', _use_new_zipfile_serialization=False)
    torch.save({'w': w, 'evil': Evil()}, OUT / 'evil-zip.pth')
    torch.save({'w': w, 'counts': collections.Counter('aab')}, OUT / 'counter-zip.pth')
    torch.save({'w': w, 'args': argparse.Namespace(lr=0.1)}, OUT / 'namespace-legacy.pth', _use_new_zipfile_serialization=False)
    for p in sorted(OUT.iterdir()):
        print(f'{p.name:24s} {p.stat().st_size:7d} bytes')


if __name__ == '__main__':
    main()
