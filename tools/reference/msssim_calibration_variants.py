"""MS-SSIM variants vs the official TID2013 calibration column (IQA-PyTorch ResultsCalibra).

Independent numpy re-implementation of msssim.m (Wang 2003) with switches for every implementation detail that
could explain why src/metrics/ms-ssim.ts misses the tabulated values on I03/I19. Prints a Markdown table (five
values, max |deviation|) that docs/ms-ssim-calibration.md reproduces.

Run: /usr/bin/python3 tools/reference/msssim_calibration_variants.py   (needs ../shared/datasets/tid2013-calibration)
"""
import os
import numpy as np
from PIL import Image
from scipy.ndimage import correlate1d

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', '..', '..', 'shared', 'datasets', 'tid2013-calibration')
IDS = ['I03', 'I04', 'I06', 'I08', 'I19']
WEIGHTS = np.array([0.0448, 0.2856, 0.3001, 0.2363, 0.1333])
RGB2GRAY = np.array([0.298936021293775, 0.587043074451121, 0.114020904255103])  # MATLAB rgb2gray


def official():
    for line in open(os.path.join(DATA, 'official_values.csv')):
        f = line.strip().split(',')
        if f[0] == 'ms_ssim':
            return np.array([float(v) for v in f[1:6]])
    raise SystemExit('ms_ssim row missing')


def load(kind, k):
    return np.asarray(Image.open(os.path.join(DATA, kind, f'{k}.png')).convert('RGB')).astype(np.float64)


def round_half_away(x):
    return np.floor(x + 0.5)  # inputs are non-negative


def to_gray(img, mode):
    if mode == 'rgb2gray':  # uint8 in → uint8 out (rounded), then double()
        return round_half_away(img @ RGB2GRAY)
    if mode == 'rgb2gray-float':  # rgb2gray on double input, no rounding
        return img @ RGB2GRAY
    if mode == 'rgb2gray-trunc':
        return np.floor(img @ RGB2GRAY)
    if mode == 'yiq':  # 0.299/0.587/0.114, unrounded (IQA-PyTorch 'yiq')
        return img @ np.array([0.299, 0.587, 0.114])
    if mode == 'ycbcr':  # rgb2ycbcr Y on uint8 (studio range, rounded)
        return round_half_away(16 + img @ np.array([65.481, 128.553, 24.966]) / 255)
    if mode == 'ycbcr-float':
        return 16 + img @ np.array([65.481, 128.553, 24.966]) / 255
    if mode == 'mean':
        return img.mean(2)
    if mode in ('R', 'G', 'B'):
        return img[..., 'RGB'.index(mode)]
    raise ValueError(mode)


def gaussian(n=11, s=1.5):
    x = np.arange(n) - (n - 1) / 2
    g = np.exp(-x * x / (2 * s * s))
    return g / g.sum()


WIN = gaussian()


def filt(x, mode):
    if mode == 'valid':  # filter2(win, x, 'valid')
        y = correlate1d(correlate1d(x, WIN, axis=0, mode='constant'), WIN, axis=1, mode='constant')
        return y[5:-5, 5:-5]
    pad = {'same-zero': 'constant', 'same-sym': 'reflect'}[mode]
    return correlate1d(correlate1d(x, WIN, axis=0, mode=pad), WIN, axis=1, mode=pad)


def ssim_index(a, b, fmode='valid', K=(0.01, 0.03), L=255.0, relu=False):
    C1, C2 = (K[0] * L) ** 2, (K[1] * L) ** 2
    m1, m2 = filt(a, fmode), filt(b, fmode)
    s11 = filt(a * a, fmode) - m1 * m1
    s22 = filt(b * b, fmode) - m2 * m2
    s12 = filt(a * b, fmode) - m1 * m2
    cs = (2 * s12 + C2) / (s11 + s22 + C2)
    if relu:
        cs = np.maximum(cs, 0)
    return ((2 * m1 * m2 + C1) / (m1 * m1 + m2 * m2 + C1) * cs).mean(), cs.mean()


def cubic(x):
    ax = np.abs(x)
    return ((1.5 * ax ** 3 - 2.5 * ax ** 2 + 1) * (ax <= 1)
            + (-0.5 * ax ** 3 + 2.5 * ax ** 2 - 4 * ax + 2) * ((ax > 1) & (ax <= 2)))


def imresize_half_matrix(n):
    """MATLAB imresize(x, 0.5) (bicubic, antialiasing, symmetric borders) along one axis, as a matrix."""
    s = 0.5
    n_out = int(np.ceil(n * s))
    width = 4 / s
    u = np.arange(1, n_out + 1) / s + 0.5 * (1 - 1 / s)
    taps = int(np.ceil(width)) + 2
    idx = np.floor(u - width / 2)[:, None] + np.arange(taps)[None, :]
    w = s * cubic(s * (u[:, None] - idx))
    w /= w.sum(1, keepdims=True)
    mirror = np.concatenate([np.arange(n), np.arange(n)[::-1]])
    idx = mirror[np.mod(idx - 1, 2 * n).astype(int)]
    M = np.zeros((n_out, n))
    for i in range(n_out):
        np.add.at(M[i], idx[i], w[i])
    return M


def downsample(x, mode, phase=0, to_uint8=False):
    if mode == 'imresize':
        return imresize_half_matrix(x.shape[0]) @ x @ imresize_half_matrix(x.shape[1]).T
    if mode == 'decimate':
        y = x
    elif mode in ('symmetric', 'replicate', 'zero'):
        # imfilter(x, ones(2)/4, mode, 'same'): output i averages inputs i, i+1 (pad after the last sample)
        xp = np.pad(x, ((0, 1), (0, 1)), mode={'symmetric': 'symmetric', 'replicate': 'edge', 'zero': 'constant'}[mode])
        y = (xp[:-1, :-1] + xp[1:, :-1] + xp[:-1, 1:] + xp[1:, 1:]) / 4
    elif mode == 'box-before':  # averages inputs i−1, i instead (other anchor)
        xp = np.pad(x, ((1, 0), (1, 0)), mode='symmetric')
        y = (xp[:-1, :-1] + xp[1:, :-1] + xp[:-1, 1:] + xp[1:, 1:]) / 4
    elif mode == '9/7-lowpass':
        lod = np.array([0.0378, -0.0238, -0.1106, 0.3774, 0.8527, 0.3774, -0.1106, -0.0238, 0.0378])
        lod = lod / lod.sum()
        y = correlate1d(correlate1d(x, lod, axis=0, mode='reflect'), lod, axis=1, mode='reflect')
    else:
        raise ValueError(mode)
    y = y[phase::2, phase::2]
    return round_half_away(np.clip(y, 0, 255)) if to_uint8 else y


def msssim(a, b, gray='rgb2gray', down='symmetric', phase=0, fmode='valid', K=(0.01, 0.03), L=255.0,
           first_ssim_m=False, to_uint8=False, relu=False, last='ssim', combine='product', all_ssim=False):
    a, b = to_gray(a, gray), to_gray(b, gray)
    if first_ssim_m:  # ssim.m's automatic downsampling (f = 2 for 512×384) before the first scale
        a, b = downsample(a, 'symmetric'), downsample(b, 'symmetric')
    ss, cs = [], []
    for level in range(5):
        s, c = ssim_index(a, b, fmode, K, L, relu)
        ss.append(s)
        cs.append(c)
        if level < 4:
            a, b = downsample(a, down, phase, to_uint8), downsample(b, down, phase, to_uint8)
    ss, cs = np.array(ss), np.array(cs)
    f = ss if all_ssim else np.concatenate([cs[:4], [ss[4] if last == 'ssim' else cs[4]]])
    if combine == 'product':
        return float(np.prod(np.sign(f) * np.abs(f) ** WEIGHTS))
    if combine == 'wtd_sum':  # msssim.m's 'wtd_sum' branch: weights normalised to sum 1
        return float(np.sum(f * WEIGHTS / WEIGHTS.sum()))
    if combine == 'wtd_sum-unnormalised':
        return float(np.sum(f * WEIGHTS))
    raise ValueError(combine)


VARIANTS = [
    ('msssim.m product, rgb2gray uint8 (our default)', {}),
    ('gray: rgb2gray without rounding', {'gray': 'rgb2gray-float'}),
    ('gray: rgb2gray truncated', {'gray': 'rgb2gray-trunc'}),
    ('gray: YIQ Y 0.299/0.587/0.114 unrounded', {'gray': 'yiq'}),
    ('gray: rgb2ycbcr Y (uint8, studio range)', {'gray': 'ycbcr'}),
    ('gray: rgb2ycbcr Y unrounded', {'gray': 'ycbcr-float'}),
    ('gray: mean of R, G, B', {'gray': 'mean'}),
    ('gray: R only', {'gray': 'R'}),
    ('gray: G only', {'gray': 'G'}),
    ('gray: B only', {'gray': 'B'}),
    ('lowpass: imfilter replicate', {'down': 'replicate'}),
    ('lowpass: imfilter zero padding', {'down': 'zero'}),
    ('lowpass: 2×2 box anchored one sample earlier', {'down': 'box-before'}),
    ('lowpass: none (plain decimation)', {'down': 'decimate'}),
    ('lowpass: 9/7 wavelet lowpass (Rouse/iqa)', {'down': '9/7-lowpass'}),
    ('downsample: imresize(0.5) bicubic', {'down': 'imresize'}),
    ('downsample phase 2:2:end', {'phase': 1}),
    ('decimation phase 2:2:end, no lowpass', {'down': 'decimate', 'phase': 1}),
    ('downsampled scales rounded to uint8', {'to_uint8': True}),
    ('ssim.m automatic downsampling first', {'first_ssim_m': True}),
    ("SSIM filtering 'same' (zero padding)", {'fmode': 'same-zero'}),
    ("SSIM filtering 'same' (symmetric)", {'fmode': 'same-sym'}),
    ('cs map clamped at 0 (IQA-PyTorch relu)', {'relu': True}),
    ('L = 256', {'L': 256.0}),
    ('last scale mcs instead of mssim', {'last': 'mcs'}),
    ('mssim (not mcs) at every scale', {'all_ssim': True}),
    ("msssim.m method 'wtd_sum'", {'combine': 'wtd_sum'}),
    ("'wtd_sum' without weight normalisation", {'combine': 'wtd_sum-unnormalised'}),
    ("'wtd_sum', rgb2gray without rounding", {'combine': 'wtd_sum', 'gray': 'rgb2gray-float'}),
    ("'wtd_sum', rgb2ycbcr Y", {'combine': 'wtd_sum', 'gray': 'ycbcr'}),
    ("'wtd_sum', last scale mcs", {'combine': 'wtd_sum', 'last': 'mcs'}),
    ("'wtd_sum', cs clamped at 0", {'combine': 'wtd_sum', 'relu': True}),
    ("'wtd_sum', scales rounded to uint8", {'combine': 'wtd_sum', 'to_uint8': True}),
]


def main():
    off = official()
    pairs = [(load('reference', k), load('distorted', k)) for k in IDS]
    print('| variant | ' + ' | '.join(IDS) + ' | max abs dev |')
    print('|---|' + '---|' * (len(IDS) + 1))
    print('| official (table) | ' + ' | '.join(f'{v:.4f}' for v in off) + ' | |')
    for name, kw in VARIANTS:
        vals = np.array([msssim(a, b, **kw) for a, b in pairs])
        print(f'| {name} | ' + ' | '.join(f'{v:.5f}' for v in vals) + f' | {np.abs(vals - off).max():.5f} |')


if __name__ == '__main__':
    main()
