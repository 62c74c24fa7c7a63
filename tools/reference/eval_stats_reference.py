#!/usr/bin/python3
"""Independent reference for src/eval/statistics.ts (SciPy), run with /usr/bin/python3.

Writes test/fixtures/eval/stats_inputs.json (the committed test vectors, generated here with a fixed seed)
and test/fixtures/eval/stats_reference.json (scipy.stats.spearmanr, kendalltau (tau-b), pearsonr, and
scipy.optimize.curve_fit of the VQEG five-parameter logistic with the same start point and the same
fallback rules as the TypeScript code). Case 6 uses SSIM-like scores whose best logistic lies at infinity
(β3 beyond the data, the sigmoid acting as an exponential tail): a valid fit with non-identifiable parameters.

    /usr/bin/python3 tools/reference/eval_stats_reference.py
"""
import json
import os
import warnings

import numpy as np
from scipy import stats
from scipy.optimize import curve_fit

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'eval')
MAX_CANCELLATION = 1e8


def logistic5(x, b1, b2, b3, b4, b5):
    return b1 * (0.5 - 1.0 / (1.0 + np.exp(b2 * (x - b3)))) + b4 * x + b5


def logistic4(x, b1, b2, b3, b5):
    return b1 * (0.5 - 1.0 / (1.0 + np.exp(b2 * (x - b3)))) + b5


def cancellation_ratio(kind, p, x, y):
    """Terms of Q = b1*r + b4*x + (b5 - b1/2), r = 1/(1+exp(-b2(x-b3))), relative to the data spread."""
    r = 1.0 / (1.0 + np.exp(-p[1] * (x - p[2])))
    if kind == 'logistic5':
        t = np.abs(p[0] * r) + np.abs(p[3] * x) + np.abs(p[4] - p[0] / 2)
    else:
        t = np.abs(p[0] * r) + np.abs(p[3] - p[0] / 2)
    spread = y.max() - y.min()
    return np.inf if spread == 0 else t.max() / spread


def fit_mapping(x, y):
    """Same decision rules as fitMapping() in statistics.ts."""
    reasons = []
    slope, intercept = np.polyfit(x, y, 1)
    lin_sse = float(np.sum((y - (slope * x + intercept)) ** 2))
    r = stats.pearsonr(x, y)[0]
    sign = -1.0 if r < 0 else 1.0
    sx = np.std(x)
    p0 = [(y.max() - y.min()) * sign, 1.0 / sx if sx > 0 else 1.0, np.mean(x), 0.0, np.mean(y)]
    distinct = len(np.unique(x))
    for kind, f, start in (('logistic5', logistic5, p0), ('logistic4', logistic4, [p0[0], p0[1], p0[2], p0[4]])):
        k = len(start)
        if distinct < k + 1:
            reasons.append(f'{kind}: only {distinct} distinct metric values')
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                p, _ = curve_fit(f, x, y, p0=start, maxfev=100000, ftol=1e-10, xtol=1e-10)
        except RuntimeError:
            reasons.append(f'{kind}: no convergence')
            continue
        if not np.all(np.isfinite(p)):
            reasons.append(f'{kind}: non-finite parameters')
            continue
        ratio = cancellation_ratio(kind, p, x, y)
        if not ratio <= MAX_CANCELLATION:
            reasons.append(f'{kind}: ill-conditioned (terms {ratio:.2e} x the data range)')
            continue
        s = float(np.sum((y - f(x, *p)) ** 2))
        if s > lin_sse * (1 + 1e-9) + 1e-300:
            reasons.append(f'{kind}: worse than a straight line')
            continue
        return kind, list(map(float, p)), f(x, *p), reasons
    return 'linear', [float(slope), float(intercept)], slope * x + intercept, reasons


def make_inputs():
    rng = np.random.default_rng(20250101)
    cases = []
    # 1. Small integer vectors with ties in both (and joint ties).
    x = np.array([1, 2, 2, 3, 4, 4, 4, 5, 6, 7, 7, 8, 9, 10, 10, 11, 12, 12, 13, 14], float)
    y = np.array([2, 1, 3, 3, 5, 4, 4, 6, 6, 8, 7, 7, 9, 9, 12, 10, 11, 11, 14, 13], float)
    cases.append({'name': 'small-ties', 'x': x, 'y': y, 'metricHigherIsBetter': True, 'subjectiveHigherIsBetter': True})
    # 2. DMOS-like: PSNR-ish metric, decreasing sigmoid relation with noise (negative raw correlation).
    x = rng.uniform(20, 45, 200)
    y = 80 / (1 + np.exp((x - 31) / 3)) + 10 + rng.normal(0, 5, 200)
    cases.append({'name': 'dmos-logistic', 'x': x, 'y': y, 'metricHigherIsBetter': True, 'subjectiveHigherIsBetter': False})
    # 3. Larger, heavily tied (rounded) data to exercise the O(n log n) tau-b.
    x = np.round(rng.uniform(0.5, 1.0, 3000), 2)
    y = np.round(1 + 4 * x ** 3 + rng.normal(0, 0.4, 3000), 1)
    cases.append({'name': 'tied-3000', 'x': x, 'y': y, 'metricHigherIsBetter': True, 'subjectiveHigherIsBetter': True})
    # 4. Fallback: only 3 distinct metric values -> neither logistic is identifiable, a straight line is used.
    x = np.repeat([0.2, 0.5, 0.9], 6)
    y = 2 + 3 * x + rng.normal(0, 0.1, 18)
    cases.append({'name': 'fallback-3-values', 'x': x, 'y': y, 'metricHigherIsBetter': True, 'subjectiveHigherIsBetter': True})
    # 5. Lower-is-better metric (distance-like) against MOS, saturating.
    x = rng.uniform(0, 1, 120)
    y = 5 - 4 * np.tanh(3 * x) + rng.normal(0, 0.25, 120)
    cases.append({'name': 'distance-vs-mos', 'x': x, 'y': y, 'metricHigherIsBetter': False, 'subjectiveHigherIsBetter': True})
    # 6. SSIM-like scores near 1 against DMOS, exponential relation: the best logistic lies at infinity
    #    (b1 -> inf, b3 beyond the data), as for SSIM on LIVE JPEG.
    x = 1 - rng.gamma(2.0, 0.04, 150)
    y = 70 - 10 * np.exp(10 * (x - 0.85)) + rng.normal(0, 3, 150)
    cases.append({'name': 'ssim-like-convex', 'x': x, 'y': y, 'metricHigherIsBetter': True, 'subjectiveHigherIsBetter': False})
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = make_inputs()
    inputs = [{**c, 'x': [float(v) for v in c['x']], 'y': [float(v) for v in c['y']]} for c in cases]
    with open(os.path.join(OUT, 'stats_inputs.json'), 'w') as f:
        json.dump({'generator': 'tools/reference/eval_stats_reference.py', 'cases': inputs}, f)
    results = []
    for c in inputs:
        x = np.array(c['x'])
        y = np.array(c['y'])
        sign = 1.0 if c['metricHigherIsBetter'] == c['subjectiveHigherIsBetter'] else -1.0
        kind, params, q, reasons = fit_mapping(x, y)
        plcc = stats.pearsonr(q, y)[0]
        direction = -1.0 if stats.pearsonr(x, q)[0] * sign < 0 else 1.0
        results.append({
            'name': c['name'],
            'srcc': sign * float(stats.spearmanr(x, y)[0]),
            'krcc': sign * float(stats.kendalltau(x, y, variant='b')[0]),
            'pearson_raw': float(stats.pearsonr(x, y)[0]),
            'plcc': direction * float(plcc),
            'rmse': float(np.sqrt(np.mean((y - q) ** 2))),
            'fit': kind,
            'params': params,
            'fallbackReasons': reasons,
        })
        print(f"{c['name']:<20} srcc {results[-1]['srcc']:+.6f} krcc {results[-1]['krcc']:+.6f} "
              f"plcc {results[-1]['plcc']:+.6f} rmse {results[-1]['rmse']:.6f} fit {kind} {reasons}")
    with open(os.path.join(OUT, 'stats_reference.json'), 'w') as f:
        json.dump({'generator': 'tools/reference/eval_stats_reference.py', 'scipy': __import__('scipy').__version__,
                   'results': results}, f, indent=1)


if __name__ == '__main__':
    main()
