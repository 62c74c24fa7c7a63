#!/usr/bin/python3
"""Writes the small procedural test images in test/fixtures/images/ (committed; rerun only to change them).

Scenes are synthetic (sinusoids, discs, bars, seeded noise) so they are free of any licence. Several encodings of
the same pixels exercise the decoders: PNG (RGB, gray, RGBA, 16-bit RGB), JPEG, BMP (24-bit and 8-bit palette).
The masks are binary saliency masks (0/255 PNGs) for the saliency-calibrated fixtures.

  /usr/bin/python3 tools/reference/make_fixture_images.py
"""
import os
import struct
import zlib

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'images')


def scene(w, h, seed, ox=0, oy=0):
    """A textured scene; (ox, oy) offsets the sampling grid by whole pixels (a genuine shift of the content)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[oy:oy + h, ox:ox + w].astype(np.float64)
    img = np.zeros((h, w, 3))
    for c in range(3):
        for _ in range(4):
            fx, fy, ph = rng.uniform(0.02, 0.25), rng.uniform(0.02, 0.25), rng.uniform(0, 6.28)
            img[:, :, c] += rng.uniform(10, 40) * np.sin(fx * x + fy * y + ph)
    for _ in range(6):
        cx, cy, r = rng.uniform(0, w + 20), rng.uniform(0, h + 20), rng.uniform(6, 30)
        col = rng.uniform(0, 255, 3)
        disc = ((x - cx) ** 2 + (y - cy) ** 2) < r * r
        img[disc] = 0.4 * img[disc] + col
    bars = (np.sin(0.9 * x) > 0.6) & (y > h * 0.6)
    img[bars] += 60
    noise_rng = np.random.default_rng(seed + 1)
    noise = noise_rng.normal(0, 6, (h + 200, w + 200, 3))[oy:oy + h, ox:ox + w]
    return np.clip(img + 110 + noise, 0, 255).round().astype(np.uint8)


def png16(path, rgb16):
    """Minimal 16-bit RGB PNG writer (PIL cannot write 48-bit PNGs)."""
    h, w, _ = rgb16.shape
    raw = b''.join(b'\x00' + rgb16[r].astype('>u2').tobytes() for r in range(h))

    def chunk(tag, data):
        return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data) & 0xFFFFFFFF)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n')
        f.write(chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 16, 2, 0, 0, 0)))
        f.write(chunk(b'IDAT', zlib.compress(raw, 9)))
        f.write(chunk(b'IEND', b''))


def mask_of(rgb):
    """A blob-like binary mask: brighter-than-median smoothed luminance (stands in for a GBVS map)."""
    lum = rgb.astype(np.float64).mean(axis=2)
    return np.where(lum > np.median(lum), 255, 0).astype(np.uint8)


def main():
    os.makedirs(OUT, exist_ok=True)
    a = scene(160, 120, 7)
    b = scene(144, 112, 99)
    shift = scene(160, 120, 7, ox=3, oy=3)
    Image.fromarray(a).save(f'{OUT}/scene_a.png')
    Image.fromarray(b).save(f'{OUT}/scene_b.png')
    Image.fromarray(shift).save(f'{OUT}/scene_a_shift3.png')
    small = Image.fromarray(a).resize((120, 90), Image.BICUBIC)
    small.save(f'{OUT}/scene_a_small.png')
    Image.fromarray(a).save(f'{OUT}/scene_a_q15.jpg', quality=15)
    Image.fromarray(a).convert('L').save(f'{OUT}/scene_a_gray.png')
    alpha = np.tile(np.linspace(0, 255, 160, dtype=np.uint8), (120, 1))[:, :, None]
    Image.fromarray(np.concatenate([a, alpha], axis=2), 'RGBA').save(f'{OUT}/scene_a_rgba.png')
    low = np.random.default_rng(3).integers(0, 256, a.shape)
    png16(f'{OUT}/scene_a_16bit.png', a.astype(np.uint16) * 256 + low.astype(np.uint16))
    Image.fromarray(a).save(f'{OUT}/scene_a.bmp')
    Image.fromarray(b).quantize(64).save(f'{OUT}/scene_b_palette.bmp')
    Image.fromarray(scene(16, 16, 5)).save(f'{OUT}/tiny16_a.png')
    Image.fromarray(scene(16, 16, 6)).save(f'{OUT}/tiny16_b.png')
    Image.fromarray(scene(15, 40, 5)).save(f'{OUT}/tiny15x40.png')
    q15 = np.asarray(Image.open(f'{OUT}/scene_a_q15.jpg').convert('RGB'))
    for name, img in [('a', a), ('b', b), ('a_shift3', shift), ('a_small', np.asarray(small)), ('a_q15', q15)]:
        Image.fromarray(mask_of(img)).save(f'{OUT}/mask_{name}.png')


if __name__ == '__main__':
    main()
