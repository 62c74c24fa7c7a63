#!/usr/bin/python3
"""Writes the decoding parity fixtures in test/fixtures/decode/ (committed; rerun only to change them).

Each fixture is a small synthetic image in one encoding; expected.json records, for each, what PIL 9.4 gives for
`np.asarray(Image.open(f).convert("RGB"))`: size, SHA-256 of the bytes and a few sample pixels. Where PIL 9.4 cannot
read a file or misreads it (see `reference` / `pil_note`), the expected pixels come from an independent model written
here (the intended palette indices / bit fields), and PIL's own outcome is recorded beside it. For the lossy files
and 16-bit gray the full expected pixels are also written as <name>.rgb so the test can measure differences.

PIL cannot write RLE, 4-bit, 16-bit, top-down, bit-field or OS/2 BMPs, nor 16-bit RGB PNGs: this script writes
those bytes itself (see bmp_file and png16).

  /usr/bin/python3 tools/reference/make_decode_fixtures.py
"""
import hashlib
import io
import json
import os
import shutil
import struct
import warnings
import zlib

import numpy as np
import PIL
from PIL import Image, ImageCms

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'fixtures', 'decode')
W, H = 37, 23  # odd sizes: every bit depth needs row padding, JPEG/WebP chroma planes have odd edges

expected = {}


def base_image(w=W, h=H, seed=7):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    img[..., 0] = x * 255 / (w - 1)
    img[..., 1] = y * 255 / (h - 1)
    img[..., 2] = 128 + 110 * np.sin(x / 3.0 + y / 4.0)
    disc = (x - w * 0.65) ** 2 + (y - h * 0.4) ** 2 < (h * 0.3) ** 2
    img[disc] = [230, 40, 90]
    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).round().astype(np.uint8)


RGB = base_image()


def pil_rgb(data):
    return np.asarray(Image.open(io.BytesIO(data)).convert('RGB'))


def samples(arr):
    h, w = arr.shape[:2]
    pts = [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1), (w // 2, h // 2), (w // 3, (2 * h) // 3)]
    return [[x, y] + [int(v) for v in arr[y, x]] for x, y in pts]


def record(name, data, arr=None, reference='pil', note=None, full=False, **extra):
    """Write the fixture and its expected pixels (PIL's unless `arr` is given)."""
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)
    if arr is None:
        arr = pil_rgb(data)
    arr = np.ascontiguousarray(arr, dtype=np.uint8)
    entry = {
        'width': int(arr.shape[1]),
        'height': int(arr.shape[0]),
        'sha256': hashlib.sha256(arr.tobytes()).hexdigest(),
        'samples': samples(arr),
        'reference': reference,
    }
    if note:
        entry['pil_note'] = note
    if full:
        with open(os.path.join(OUT, name + '.rgb'), 'wb') as f:
            f.write(arr.tobytes())
        entry['rgb'] = name + '.rgb'
    entry.update(extra)
    expected[name] = entry
    return arr


def pil_outcome(data):
    """PIL's result on a file it misreads or refuses, for the record."""
    try:
        arr = pil_rgb(data)
        return f'PIL 9.4 decodes it to sha256 {hashlib.sha256(arr.tobytes()).hexdigest()[:16]}…'
    except Exception as e:  # noqa: BLE001 - any failure is the point
        return f'PIL 9.4 raises {type(e).__name__}: {e}'


# ---------------------------------------------------------------------------------------------------------- BMP


def bmp_file(width, height, bits, pixels, palette=b'', compression=0, header=40, masks=None, colors=0,
             entry=4, top_down=False, alpha_mask=0):
    """A BMP with a given info header size (12, 40, 56, 64, 108, 124); masks go after a 40-byte header, inside larger ones."""
    if header == 12:
        info = struct.pack('<IHHHH', 12, width, height, 1, bits)
    else:
        info = struct.pack('<IiiHHIIiiII', header, width, -height if top_down else height, 1, bits, compression,
                           len(pixels), 2835, 2835, colors, 0)
        if header > 40:
            m = masks or (0, 0, 0)
            info += struct.pack('<IIII', m[0], m[1], m[2], alpha_mask)
            if header >= 108:
                info += b'BGRs' + b'\0' * 36 + b'\0' * 12  # colour space type, endpoints, gammas
            info = info[:header] + b'\0' * (header - len(info))
        elif masks:
            info += struct.pack('<III', *masks)
    off = 14 + len(info) + len(palette)
    return b'BM' + struct.pack('<IHHI', off + len(pixels), 0, 0, off) + info + palette + pixels


def palette_bytes(colors, entry=4):
    return b''.join(bytes([b, g, r]) + (b'\0' if entry == 4 else b'') for r, g, b in colors)


def pack_rows(rows_bytes, top_down=False):
    """rows given top to bottom, each already packed; pads to 4 bytes and orders them as stored."""
    stride = (max(len(r) for r in rows_bytes) + 3) & ~3
    rows = rows_bytes if top_down else rows_bytes[::-1]
    return b''.join(r + b'\0' * (stride - len(r)) for r in rows)


def pack_indices(idx, bits):
    rows = []
    for row in idx:
        if bits == 8:
            rows.append(bytes(int(v) for v in row))
        else:
            per = 8 // bits
            out = bytearray((len(row) * bits + 7) // 8)
            for x, v in enumerate(row):
                out[x // per] |= int(v) << (8 - bits * (x % per + 1))
            rows.append(bytes(out))
    return pack_rows(rows)


def quantized(n):
    q = Image.fromarray(RGB).quantize(n, dither=Image.Dither.NONE)
    pal = np.array(q.getpalette()[:3 * n], dtype=np.uint8).reshape(-1, 3)
    return np.asarray(q), pal


def make_bmps():
    # PIL's own writer: 1-bit black/white, 8-bit gray, 8-bit palette, 24-bit bottom-up.
    for name, im in [('bmp_1bit_bw.bmp', Image.fromarray(RGB).convert('L').point(lambda v: 255 if v > 120 else 0).convert('1')),
                     ('bmp_8bit_gray.bmp', Image.fromarray(RGB).convert('L')),
                     ('bmp_8bit_palette.bmp', Image.fromarray(RGB).quantize(200, dither=Image.Dither.NONE)),
                     ('bmp_24.bmp', Image.fromarray(RGB))]:
        buf = io.BytesIO()
        im.save(buf, 'BMP')
        record(name, buf.getvalue())

    # 1-bit with a coloured palette.
    idx1 = (RGB[..., 0].astype(int) + RGB[..., 1] > 250).astype(np.uint8)
    pal1 = [(200, 30, 60), (20, 180, 240)]
    arr = record('bmp_1bit_color.bmp', bmp_file(W, H, 1, pack_indices(idx1, 1), palette_bytes(pal1)))
    assert np.array_equal(arr, np.array(pal1, np.uint8)[idx1])

    # 4-bit, 16 colours.
    idx4, pal4 = quantized(16)
    arr = record('bmp_4bit.bmp', bmp_file(W, H, 4, pack_indices(idx4, 4), palette_bytes(pal4)))
    assert np.array_equal(arr, pal4[idx4])

    # 4-bit with biClrUsed = 6 and indices up to 15: indices past the palette read PIL's gray ramp (i, i, i).
    pal6 = [tuple(int(v) for v in c) for c in pal4[:6]]
    arr = record('bmp_4bit_clrused.bmp', bmp_file(W, H, 4, pack_indices(idx4, 4), palette_bytes(pal6), colors=6))
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1)
    ramp[:6] = pal4[:6]
    assert np.array_equal(arr, ramp[idx4]), 'out-of-range palette indices: PIL no longer reads the gray ramp'

    # 8-bit with biClrUsed = 40.
    idx8, pal40 = quantized(40)
    record('bmp_8bit_clrused.bmp', bmp_file(W, H, 8, pack_indices(idx8, 8), palette_bytes(pal40), colors=40))

    # 8-bit with a 2-entry black/white palette: PIL's "gray palette" shortcut reads the 8-bit data as 1-bit.
    data = bmp_file(W, H, 8, pack_indices(idx1, 8), palette_bytes([(0, 0, 0), (255, 255, 255)]), colors=2)
    record('bmp_8bit_bw2.bmp', data, arr=np.array([[0, 0, 0], [255, 255, 255]], np.uint8)[idx1],
           reference='palette lookup', note=pil_outcome(data) + ' (mode "1" rawmode applied to 8-bit data)')

    # 16-bit: BI_RGB 5-5-5 (top bit set in some pixels: it must be ignored), BI_BITFIELDS 5-6-5 (40-byte header,
    # masks after it), 5-6-5 in a 56-byte V3 header (PIL refuses the header), 4-4-4-4 in a V5 header (PIL refuses
    # the masks; the model is PIL's own scaling, floor(v * 255 / max)).
    r, g, b = (RGB[..., c].astype(np.uint32) for c in range(3))
    top = (np.arange(W)[None, :] % 3 == 0).astype(np.uint32) << 15
    v555 = top | (r >> 3) << 10 | (g >> 3) << 5 | (b >> 3)
    v565 = (r >> 3) << 11 | (g >> 2) << 5 | (b >> 3)
    v4444 = (r >> 4) << 8 | (g >> 4) << 4 | (b >> 4) | (np.uint32(0xA) << 12)
    rows16 = lambda v: pack_rows([v[y].astype('<u2').tobytes() for y in range(H)])
    record('bmp_16_555.bmp', bmp_file(W, H, 16, rows16(v555)))
    m565 = (0xF800, 0x7E0, 0x1F)
    arr565 = record('bmp_16_565.bmp', bmp_file(W, H, 16, rows16(v565), compression=3, masks=m565))
    model = np.stack([(r >> 3) * 255 // 31, (g >> 2) * 255 // 63, (b >> 3) * 255 // 31], -1)
    assert np.array_equal(arr565, model), 'PIL 5-6-5 scaling is not floor(v*255/max)'
    data = bmp_file(W, H, 16, rows16(v565), compression=3, masks=m565, header=56)
    record('bmp_16_565_v3.bmp', data, arr=arr565, reference='bmp_16_565.bmp (same bitmap, 40-byte header)',
           note=pil_outcome(data))
    data = bmp_file(W, H, 16, rows16(v4444), compression=3, masks=(0xF00, 0xF0, 0xF), header=124, alpha_mask=0xF000)
    model = np.stack([(r >> 4) * 255 // 15, (g >> 4) * 255 // 15, (b >> 4) * 255 // 15], -1)
    record('bmp_16_4444_v5.bmp', data, arr=model, reference='bit-field model floor(v * 255 / 15)', note=pil_outcome(data))

    # 24-bit top-down (negative height).
    rows24 = [RGB[y][:, ::-1].tobytes() for y in range(H)]
    arr = record('bmp_24_topdown.bmp', bmp_file(W, H, 24, pack_rows(rows24, top_down=True), top_down=True))
    assert np.array_equal(arr, RGB)

    # 32-bit BI_RGB = BGRX with junk in X; BI_BITFIELDS BGRA (V5) and RGBA (V4) with varying alpha.
    alpha = ((np.arange(W)[None, :] * 7 + np.arange(H)[:, None] * 13) % 256).astype(np.uint8)
    bgra = np.dstack([RGB[..., 2], RGB[..., 1], RGB[..., 0], alpha])
    rgba = np.dstack([RGB, alpha])
    rows32 = lambda a: pack_rows([a[y].tobytes() for y in range(H)])
    for name, data in [('bmp_32_bgrx.bmp', bmp_file(W, H, 32, rows32(bgra))),
                       ('bmp_32_bitfields_bgra_v5.bmp', bmp_file(W, H, 32, rows32(bgra), compression=3, header=124,
                                                                 masks=(0xFF0000, 0xFF00, 0xFF), alpha_mask=0xFF000000)),
                       ('bmp_32_bitfields_rgba_v4.bmp', bmp_file(W, H, 32, rows32(rgba), compression=3, header=108,
                                                                 masks=(0xFF, 0xFF00, 0xFF0000), alpha_mask=0xFF000000))]:
        arr = record(name, data)
        assert np.array_equal(arr, RGB), name

    # OS/2 1.x core header: 8-bit with 3-byte palette entries, and 24-bit.
    arr = record('bmp_os2_8bit.bmp', bmp_file(W, H, 8, pack_indices(idx8, 8),
                                              palette_bytes([tuple(c) for c in pal40] + [(0, 0, 0)] * 216, entry=3),
                                              header=12))
    assert np.array_equal(arr, pal40[idx8])
    arr = record('bmp_os2_24.bmp', bmp_file(W, H, 24, pack_rows(rows24), header=12))
    assert np.array_equal(arr, RGB)
    # OS/2 2.x 64-byte header (read like a 40-byte one when uncompressed), 8-bit palette.
    arr = record('bmp_os2v2_8bit.bmp', bmp_file(W, H, 8, pack_indices(idx8, 8), palette_bytes([tuple(c) for c in pal40]),
                                                header=64, colors=40))
    assert np.array_equal(arr, pal40[idx8])


# ---------------------------------------------------------------------------------------------------------- RLE
# An RLE bitmap is described as a list of ops; `rle_bytes` encodes them and `rle_model` is an independent
# reading of the format (Microsoft's "Bitmap Compression" page): rows bottom-up, skipped pixels = index 0.


def rle_bytes(ops, rle4):
    out = bytearray()
    for op in ops:
        kind = op[0]
        if kind == 'run':  # ('run', count, (c0, c1)): RLE4 alternates c0, c1
            n, (c0, c1) = op[1], op[2]
            out += bytes([n, (c0 << 4 | c1) if rle4 else c0])
        elif kind == 'abs':
            px = op[1]
            out += bytes([0, len(px)])
            if rle4:
                p = list(px) + [0] * (len(px) % 2)
                body = bytes(p[i] << 4 | p[i + 1] for i in range(0, len(p), 2))
            else:
                body = bytes(px)
            out += body + b'\0' * (len(body) % 2)
        elif kind == 'eol':
            out += b'\0\0'
        elif kind == 'eob':
            out += b'\0\1'
        elif kind == 'delta':
            out += bytes([0, 2, op[1], op[2]])
    return bytes(out)


def rle_model(ops, w, h, rle4):
    grid = np.zeros((h, w), np.uint8)  # grid[0] = bottom row
    x = y = 0
    for op in ops:
        if op[0] == 'run':
            for i in range(op[1]):
                grid[y, x + i] = op[2][i % 2 if rle4 else 0]
            x += op[1]
        elif op[0] == 'abs':
            grid[y, x:x + len(op[1])] = op[1]
            x += len(op[1])
        elif op[0] == 'eol':
            x, y = 0, y + 1
        elif op[0] == 'eob':
            break
        elif op[0] == 'delta':
            x, y = x + op[1], y + op[2]
    return grid[::-1]


def rle_encode(idx, rle4):
    """Greedy encoder: runs (RLE4: alternating pairs) of >= 3, absolute runs of >= 3 (even length for RLE4)."""
    ops = []
    h, w = idx.shape
    for y in range(h - 1, -1, -1):
        row = [int(v) for v in idx[y]]
        x = 0
        lit = []

        def flush():
            while lit:
                n = min(len(lit), 254)
                chunk = lit[:n]
                if rle4 and n % 2 == 1 and n > 3:
                    chunk = chunk[:-1]
                if len(chunk) >= 3 and not (rle4 and len(chunk) % 2):
                    ops.append(('abs', chunk))
                else:
                    for c in chunk:
                        ops.append(('run', 1, (c, c)))
                del lit[:len(chunk)]

        while x < w:
            n = 1
            while x + n < w and n < 255 and row[x + n] == row[x + (n % 2 if rle4 else 0)]:
                n += 1
            if n >= 3:
                flush()
                ops.append(('run', n, (row[x], row[x + 1] if rle4 and n > 1 else row[x])))
                x += n
            else:
                lit.append(row[x])
                x += 1
        flush()
        ops.append(('eol',) if y > 0 else ('eob',))
    return ops


def make_rle():
    idx8, pal40 = quantized(40)
    idx4, pal16 = quantized(16)
    # RLE-friendly content: flat bands, alternating stripes, then the quantized scene.
    band = np.zeros((H, W), np.uint8)
    band[:, :] = (np.arange(W) // 9)[None, :] % 16
    band[1::3, 10:20] = np.where(np.arange(10) % 2 == 0, 3, 11)[None, :]
    idx8 = np.where(np.arange(H)[:, None] < H // 2, band + 20, idx8).astype(np.uint8)
    idx4 = np.where(np.arange(H)[:, None] < H // 2, band, idx4).astype(np.uint8)

    for name, idx, pal, rle4 in [('bmp_rle8.bmp', idx8, pal40, False), ('bmp_rle4.bmp', idx4, pal16, True)]:
        ops = rle_encode(idx, rle4)
        assert np.array_equal(rle_model(ops, W, H, rle4), idx)
        kinds = {op[0] for op in ops}
        assert {'run', 'abs', 'eol', 'eob'} <= kinds, kinds
        data = bmp_file(W, H, 4 if rle4 else 8, rle_bytes(ops, rle4), palette_bytes([tuple(c) for c in pal]),
                        compression=2 if rle4 else 1, colors=len(pal))
        arr = record(name, data)
        assert np.array_equal(arr, pal[idx]), name

    # Delta escapes, end-of-line in mid-row, an empty row (lone end-of-line), early end-of-bitmap, and (RLE4) odd
    # absolute runs. PIL 9.4 reads the delta escape's bytes twice and drops the last pixel of odd RLE4 absolute runs
    # (both fixed in later Pillow), does not advance on a lone end-of-line and raises on an early end-of-bitmap; the
    # expected pixels are the format's meaning with skipped pixels = index 0.
    for name, rle4, pal in [('bmp_rle8_delta.bmp', False, pal40), ('bmp_rle4_delta_odd.bmp', True, pal16)]:
        k = 16 if rle4 else 40
        ops = [('run', 5, (1, 2)), ('abs', [3, 4, 5]), ('delta', 4, 0), ('run', 6, (6, 7)), ('eol',),
               ('abs', [(i * 5) % k for i in range(W)]), ('eol',),
               ('delta', 7, 2), ('run', 9, (8, 9)), ('abs', [10, 11, 12, 13, 14]), ('run', 3, (5, 6)), ('eol',),
               ('run', W, (2, 5)), ('eol',), ('eol',),  # a lone end-of-line: an empty row
               ('delta', 0, 1),  # a vertical-only delta
               ('delta', 3, 1), ('abs', [15, 1, 3, 5, 7, 9, 11]), ('eol',),
               ('run', 12, (4, 4)), ('eob',)]
        data = bmp_file(W, H, 4 if rle4 else 8, rle_bytes(ops, rle4), palette_bytes([tuple(c) for c in pal]),
                        compression=2 if rle4 else 1, colors=len(pal))
        record(name, data, arr=pal[rle_model(ops, W, H, rle4)], reference='RLE model (format definition)',
               note=pil_outcome(data))


# ---------------------------------------------------------------------------------------------------------- PNG etc.


def png16(arr16, color_type):
    """A 16-bit PNG (PIL cannot write 16-bit RGB/RGBA): filter 0 rows of big-endian samples."""
    h, w = arr16.shape[:2]
    raw = b''.join(b'\0' + arr16[y].astype('>u2').tobytes() for y in range(h))

    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xFFFFFFFF)

    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 16, color_type, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


def icc_swapped_primaries():
    """An ICC v2 RGB display profile with red and blue primaries swapped and linear (gamma 1) curves."""
    def s15(v):
        return struct.pack('>i', int(round(v * 65536)))

    def xyz(x, y, z):
        return b'XYZ \0\0\0\0' + s15(x) + s15(y) + s15(z)

    curve = b'curv\0\0\0\0' + struct.pack('>IH', 1, 0x0100) + b'\0\0'
    desc_text = b'deepssim test: swapped primaries, gamma 1\0'
    desc = b'desc\0\0\0\0' + struct.pack('>I', len(desc_text)) + desc_text + b'\0' * 4 + b'\0' * 4 + b'\0' * 3 + b'\0' * 67
    tags = [(b'desc', desc), (b'wtpt', xyz(0.9642, 1.0, 0.8249)),
            (b'rXYZ', xyz(0.1431, 0.0606, 0.7141)), (b'gXYZ', xyz(0.3851, 0.7169, 0.0971)),
            (b'bXYZ', xyz(0.4361, 0.2225, 0.0139)),
            (b'rTRC', curve), (b'gTRC', curve), (b'bTRC', curve), (b'cprt', b'text\0\0\0\0public domain\0')]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b'', b''
    for sig, data in tags:
        data += b'\0' * (-len(data) % 4)
        table += sig + struct.pack('>II', offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (struct.pack('>I', size) + b'\0' * 4 + struct.pack('>I', 0x02100000) + b'mntrRGB XYZ '
              + struct.pack('>6H', 2024, 1, 1, 0, 0, 0) + b'acsp' + b'\0' * 24 + struct.pack('>I', 0)
              + s15(0.9642) + s15(1.0) + s15(0.8249) + b'\0' * 48)
    assert len(header) == 128
    return header + struct.pack('>I', len(tags)) + table + body


def icc_cmyk_lut():
    """An ICC v2 CMYK output profile whose A2B0 (lut8, 2×2×2×2 grid) maps CMYK to Lab nothing like PIL's arithmetic.

    Not a printing profile: it only has to be valid (lcms accepts it) and change the pixels a lot if it were applied.
    """
    def s15(v):
        return struct.pack('>i', int(round(v * 65536)))
    def xyz(x, y, z):
        return b'XYZ \0\0\0\0' + s15(x) + s15(y) + s15(z)
    ident = b''.join(s15(1.0 if i == j else 0.0) for i in range(3) for j in range(3))
    ramp = bytes(range(256))
    clut = b''
    for c in (0, 1):
        for m in (0, 1):
            for y in (0, 1):
                for k in (0, 1):
                    L = 230 if c == 0 else 90
                    a = 128 + 100 * (m - y)
                    b = 128 + 90 * (k - c)
                    clut += bytes([L, max(0, min(255, a)), max(0, min(255, b))])
    lut = b'mft1\0\0\0\0' + bytes([4, 3, 2, 0]) + ident + ramp * 4 + clut + ramp * 3
    desc_text = b'deepssim test: CMYK to Lab, not a printing profile\0'
    desc = b'desc\0\0\0\0' + struct.pack('>I', len(desc_text)) + desc_text + b'\0' * 4 + b'\0' * 4 + b'\0' * 3 + b'\0' * 67
    tags = [(b'desc', desc), (b'wtpt', xyz(0.9642, 1.0, 0.8249)), (b'A2B0', lut),
            (b'cprt', b'text\0\0\0\0public domain\0')]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b'', b''
    for sig, data in tags:
        data += b'\0' * (-len(data) % 4)
        table += sig + struct.pack('>II', offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = (struct.pack('>I', size) + b'\0' * 4 + struct.pack('>I', 0x02100000) + b'prtrCMYKLab '
              + struct.pack('>6H', 2024, 1, 1, 0, 0, 0) + b'acsp' + b'\0' * 24 + struct.pack('>I', 0)
              + s15(0.9642) + s15(1.0) + s15(0.8249) + b'\0' * 48)
    assert len(header) == 128
    return header + struct.pack('>I', len(tags)) + table + body


def strip_adobe_app14(data):
    """The same JPEG without its Adobe APP14 segment (a "plain" CMYK JPEG, as some encoders write them)."""
    out, i = bytearray(data[:2]), 2
    while True:
        assert data[i] == 0xFF, 'not at a JPEG marker'
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the rest is entropy-coded data
            return bytes(out + data[i:])
        seg = data[i:i + 2 + int.from_bytes(data[i + 2:i + 4], 'big')]
        if not (marker == 0xEE and seg[4:9] == b'Adobe'):
            out += seg
        i += len(seg)


def save(im, fmt, **kw):
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def make_others():
    im = Image.fromarray(RGB)
    gray = im.convert('L')
    alpha = Image.fromarray(((np.arange(W)[None, :] * 7 + np.arange(H)[:, None] * 13) % 256).astype(np.uint8))
    rgba = im.copy()
    rgba.putalpha(alpha)
    la = gray.copy()
    la.putalpha(alpha)
    pal = im.quantize(64, dither=Image.Dither.NONE)

    record('png_gray.png', save(gray, 'PNG'))
    record('png_gray_alpha.png', save(la, 'PNG'))
    record('png_rgba.png', save(rgba, 'PNG'))
    record('png_palette.png', save(pal, 'PNG'))
    warnings.filterwarnings('ignore', 'Palette images with Transparency')  # PIL's advice to use RGBA: not wanted here
    record('png_palette_trns.png', save(pal, 'PNG', transparency=bytes((i * 37) % 256 for i in range(64))))

    # 16-bit: the full 0..65535 range, so that clipping (PIL's 16-bit gray) and keeping the high byte differ.
    y, x = np.mgrid[0:H, 0:W]
    v16 = ((x * 1789 + y * 2971) * 7 % 65536).astype(np.uint16)
    g16 = Image.fromarray(v16)  # mode I;16
    data = save(g16, 'PNG')
    pil = pil_rgb(data)
    assert np.array_equal(pil[..., 0], np.minimum(v16, 255)), 'PIL 16-bit gray no longer clips'
    high = np.repeat((v16 >> 8).astype(np.uint8)[..., None], 3, -1)
    record('png_gray16.png', data, full=True,
           high_byte={'sha256': hashlib.sha256(high.tobytes()).hexdigest(), 'samples': samples(high)})
    rgb16 = np.dstack([v16, (v16 * 3) % 65536, 65535 - v16]).astype(np.uint16)
    a16 = ((x * 4099 + y * 1031) % 65536).astype(np.uint16)
    for name, arr16, ct in [('png_rgb16.png', rgb16, 2), ('png_rgba16.png', np.dstack([rgb16, a16]), 6)]:
        data = png16(arr16, ct)
        pil = record(name, data)
        assert np.array_equal(pil, (rgb16 >> 8).astype(np.uint8)), name

    # ICC profile that colour management would apply (red/blue swapped, linear): pixels must come out as stored.
    icc = icc_swapped_primaries()
    managed = ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(io.BytesIO(icc)), ImageCms.createProfile('sRGB'))
    change = np.abs(np.asarray(managed).astype(int) - RGB).mean()
    assert change > 20, f'the ICC profile barely changes the pixels ({change:.1f})'
    data = save(im, 'PNG', icc_profile=icc)
    assert Image.open(io.BytesIO(data)).info.get('icc_profile') == icc
    arr = record('png_icc.png', data, managed_mean_abs_change=round(float(change), 2))
    assert np.array_equal(arr, RGB)

    # JPEG: baseline 4:2:0 and 4:4:4, progressive, grayscale; EXIF orientation 6 (must not be applied).
    record('jpeg_420.jpg', save(im, 'JPEG', quality=90, subsampling=2), full=True)
    record('jpeg_444.jpg', save(im, 'JPEG', quality=90, subsampling=0), full=True)
    record('jpeg_progressive.jpg', save(im, 'JPEG', quality=85, subsampling=2, progressive=True), full=True)
    record('jpeg_gray.jpg', save(gray, 'JPEG', quality=90), full=True)
    exif = Image.Exif()
    exif[0x0112] = 6
    data = save(im, 'JPEG', quality=90, subsampling=2, exif=exif.tobytes())
    assert Image.open(io.BytesIO(data)).getexif().get(0x0112) == 6
    record('jpeg_exif6.jpg', data, full=True)

    make_cmyk()

    record('webp_lossless.webp', save(rgba, 'WEBP', lossless=True))
    record('webp_lossy.webp', save(im, 'WEBP', quality=80), full=True)
    record('tiff_rgb.tif', save(im, 'TIFF'))
    record('tiff_lzw.tif', save(im, 'TIFF', compression='tiff_lzw'))
    record('gif_palette.gif', save(pal, 'GIF'))


def make_cmyk():
    """CMYK JPEGs and TIFF. PIL reads every CMYK JPEG with Adobe polarity (rawmode "CMYK;I": inverted samples),
    whether or not the file has an Adobe APP14 marker; it ignores an embedded ICC profile; convert("RGB") is
    Convert.c's cmyk2rgb: r = (255 − k) − c·(255 − k)/255 in integers. Every K value and ink mix occurs."""
    y, x = np.mgrid[0:H, 0:W]
    cmyk = np.dstack([x * 255 // (W - 1), y * 255 // (H - 1), 128 + 100 * np.sin(x / 3.0 + y / 4.0),
                      (x * 7 + y * 11) % 256]).astype(np.uint8)
    im = Image.fromarray(cmyk, 'CMYK')
    adobe = save(im, 'JPEG', quality=90, subsampling=0)
    assert b'\xff\xee' in adobe and b'Adobe' in adobe, 'libjpeg no longer writes the Adobe marker for CMYK'
    arr = record('jpeg_cmyk_adobe.jpg', adobe, full=True)
    plain = strip_adobe_app14(adobe)
    assert len(plain) < len(adobe) and b'Adobe' not in plain
    assert np.array_equal(record('jpeg_cmyk_plain.jpg', plain, full=True), arr), 'PIL now reads the marker'
    # An embedded CMYK profile that colour management would apply: PIL ignores it in convert("RGB").
    icc = icc_cmyk_lut()
    data = save(im, 'JPEG', quality=90, subsampling=0, icc_profile=icc)
    decoded = Image.open(io.BytesIO(data))
    assert decoded.info.get('icc_profile') == icc
    managed = ImageCms.profileToProfile(decoded, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                        ImageCms.createProfile('sRGB'), outputMode='RGB')
    pil = pil_rgb(data)
    change = np.abs(np.asarray(managed).astype(int) - pil).mean()
    assert change > 20, f'the CMYK profile barely changes the pixels ({change:.1f})'
    record('jpeg_cmyk_icc.jpg', data, full=True, managed_mean_abs_change=round(float(change), 2))
    # TIFF stores CMYK uninverted (PHOTOMETRIC_SEPARATED); the same arithmetic, lossless: exact pixels.
    tif = record('tiff_cmyk.tif', save(im, 'TIFF'))
    assert np.array_equal(tif, np.asarray(im.convert('RGB')))


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    make_bmps()
    make_rle()
    make_others()
    meta = {'generator': 'tools/reference/make_decode_fixtures.py', 'pil': PIL.__version__,
            'semantics': 'np.asarray(Image.open(f).convert("RGB"))', 'files': expected}
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(meta, f, indent=1)
        f.write('\n')
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f'{len(expected)} fixtures, {total} bytes in {os.path.normpath(OUT)}')
    for name, e in expected.items():
        if e['reference'] != 'pil':
            print(f'  {name}: expected from {e["reference"]}; {e.get("pil_note", "")}')


if __name__ == '__main__':
    main()
