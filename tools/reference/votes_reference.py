#!/usr/bin/env python3
"""Independent reference for src/eval/votes.ts (paired-comparison evaluation), run with a python3 that has NumPy and SciPy.

Generates, with a fixed seed, a votes file and per-(reference, test) metric scores, and computes from them with
plain Python and SciPy:
- pairwise accuracy: mean over votes of 1 when the metric's higher score is the winner, 0 when it is the loser,
  0.5 on a metric tie (the metric is higher-better);
- per-set Kendall tau-b (scipy.stats.kendalltau, variant 'b') between the metric's scores of the set's test
  images and their win-rates (wins / comparisons), averaged over the sets where it is defined;
- the ceiling: each vote predicted by the majority of the other votes on the same unordered pair (tie 0.5).
Also writes small .npy files with numpy (0-d and 1-d, float16/32/64, both byte orders) for the .npy reader test.

Writes test/fixtures/votes/{votes.csv, scores.csv, reference.json, *.npy}; CI only reads them.

    python3 tools/reference/votes_reference.py

Check mode: recompute the figures of any `deepssim eval votes.csv --out dir` run from the votes file and the
per-pair metric scores in dir/eval.json, and compare them with what deepssim reported (exit 1 on a mismatch):

    python3 tools/reference/votes_reference.py --check dir/eval.json votes.csv
"""
import csv
import json
import math
import os
from collections import defaultdict

import numpy as np
from scipy import stats

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'test', 'fixtures', 'votes')


def make_study(rng):
    votes = []
    scores = {}
    for s in range(7):
        ref = f'set{s}/ref.png'
        n_tests = int(rng.integers(2, 6))
        tests = [f'set{s}/t{k}.png' for k in range(n_tests)]
        quality = rng.normal(size=n_tests)
        for k, t in enumerate(tests):
            # Metric scores correlate with the hidden quality; a few are rounded to force ties.
            v = quality[k] + 0.8 * rng.normal()
            scores[(ref, t)] = float(round(float(v), 1)) if s == 3 else float(v)
        for _ in range(int(rng.integers(6, 30))):
            i, j = rng.choice(n_tests, size=2, replace=False)
            p_j = 1 / (1 + math.exp(-(quality[j] - quality[i]) * 1.5))
            winner = 'b' if rng.random() < p_j else 'a'
            votes.append({'set': f'S{s}', 'reference': ref, 'a': tests[i], 'b': tests[j], 'winner': winner})
    # A set whose metric scores are all equal: tau undefined, accuracy 0.5 on each vote.
    ref = 'flat/ref.png'
    for t in ['flat/x.png', 'flat/y.png']:
        scores[(ref, t)] = 0.25
    for w in ['a', 'b', 'a']:
        votes.append({'set': 'flat', 'reference': ref, 'a': 'flat/x.png', 'b': 'flat/y.png', 'winner': w})
    return votes, scores


def accuracy(votes, scores):
    credit = []
    for v in votes:
        sa = scores.get((v['reference'], v['a']))
        sb = scores.get((v['reference'], v['b']))
        if sa is None or sb is None:
            continue
        if sa == sb:
            credit.append(0.5)
        else:
            prefers_b = sb > sa
            credit.append(1.0 if prefers_b == (v['winner'] == 'b') else 0.0)
    return sum(credit) / len(credit)


def mean_tau(votes, scores):
    by_set = defaultdict(list)
    for v in votes:
        by_set[v['set']].append(v)
    taus = {}
    for name, vs in by_set.items():
        won = defaultdict(float)
        n = defaultdict(int)
        for v in vs:
            for side in ('a', 'b'):
                key = (v['reference'], v[side])
                n[key] += 1
                won[key] += 1.0 if v['winner'] == side else 0.0
        keys = sorted(n)
        if len(keys) < 2 or any(scores.get(k) is None for k in keys):
            continue
        x = [scores[k] for k in keys]
        y = [won[k] / n[k] for k in keys]
        tau = stats.kendalltau(x, y, variant='b').statistic
        if not math.isnan(tau):
            taus[name] = float(tau)
    return sum(taus.values()) / len(taus), taus


def ceiling(votes):
    tally = defaultdict(lambda: [0, 0])  # unordered pair -> [votes for first, votes for second]
    def key(v):
        a, b = v['a'], v['b']
        return (v['set'], v['reference'], min(a, b), max(a, b))
    def first_won(v):
        w = v[v['winner']]
        return w == min(v['a'], v['b'])
    for v in votes:
        tally[key(v)][0 if first_won(v) else 1] += 1
    total = 0.0
    for v in votes:
        t = list(tally[key(v)])
        mine = 0 if first_won(v) else 1
        t[mine] -= 1
        if t[0] == t[1]:
            total += 0.5
        else:
            total += 1.0 if (0 if t[0] > t[1] else 1) == mine else 0.0
    return total / len(votes)


def write_npy():
    np.save(os.path.join(OUT, 'judge_f4_0d.npy'), np.array(0.4, dtype='<f4'))
    np.save(os.path.join(OUT, 'judge_f8_1d.npy'), np.array([0.8], dtype='<f8'))
    np.save(os.path.join(OUT, 'judge_f2_1d.npy'), np.array([0.25, 1.0], dtype='<f2'))
    np.save(os.path.join(OUT, 'judge_be_f8.npy'), np.array([0.125, 0.5, 0.75], dtype='>f8'))
    np.save(os.path.join(OUT, 'not_float_i4.npy'), np.array([1, 2], dtype='<i4'))
    np.save(os.path.join(OUT, 'matrix_f4.npy'), np.zeros((2, 2), dtype='<f4'))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261130)
    votes, scores = make_study(rng)
    with open(os.path.join(OUT, 'votes.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, fieldnames=['set', 'reference', 'a', 'b', 'winner'], lineterminator='\n')
        w.writeheader()
        w.writerows(votes)
    with open(os.path.join(OUT, 'scores.csv'), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['reference', 'test', 'score'])
        for (ref, t), s in sorted(scores.items()):
            w.writerow([ref, t, repr(s)])
    tau, taus = mean_tau(votes, scores)
    ref = {
        'votes': len(votes),
        'sets': len({v['set'] for v in votes}),
        'pairwiseAccuracy': accuracy(votes, scores),
        'kendallTau': tau,
        'setsWithTau': len(taus),
        'perSetTau': taus,
        'ceiling': ceiling(votes),
        'scipy': stats.__name__ and __import__('scipy').__version__,
    }
    with open(os.path.join(OUT, 'reference.json'), 'w') as f:
        json.dump(ref, f, indent=1, sort_keys=True)
        f.write('\n')
    write_npy()
    print(json.dumps({k: ref[k] for k in ('votes', 'sets', 'pairwiseAccuracy', 'kendallTau', 'setsWithTau', 'ceiling')}))


def check(eval_json, votes_csv):
    """Recompute accuracy, mean tau-b and the ceiling from a votes CSV and eval.json's per-pair scores."""
    with open(eval_json) as f:
        doc = json.load(f)
    base = os.path.dirname(os.path.abspath(votes_csv))
    with open(votes_csv, newline='', encoding='utf-8-sig') as f:
        text = f.read()
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=',;\t')
    rows = list(csv.DictReader(text.splitlines(), dialect=dialect))
    votes = []
    for r in rows:
        r = {k.strip().lower(): (v or '').strip() for k, v in r.items()}
        path = lambda p: os.path.normpath(p if os.path.isabs(p) else os.path.join(base, p))
        votes.append({'set': r['set'], 'reference': path(r['reference']), 'a': path(r['a']), 'b': path(r['b']),
                      'winner': r['winner'].lower()})
    ok = True
    c = ceiling(votes)
    print(f"ceiling: reference {c:.12f}, deepssim {doc['ceiling']:.12f}")
    ok &= abs(c - doc['ceiling']) < 1e-9
    for name, m in doc['metrics'].items():
        if m['pairwiseAccuracy'] is None:
            print(f'{name}: no scored votes')
            continue
        sign = 1.0 if m['higherIsBetter'] else -1.0
        scores = {}
        for p in doc['pairs']:
            v = p['metrics'][name]
            if isinstance(v, str):
                v = float(v)
            scores[(os.path.normpath(p['reference']), os.path.normpath(p['test']))] = None if v is None else sign * v
        acc = accuracy(votes, scores)
        tau, _ = mean_tau(votes, scores)
        print(f"{name}: accuracy reference {acc:.12f}, deepssim {m['pairwiseAccuracy']:.12f}; "
              f"mean tau-b reference {tau:.12f}, deepssim {m['kendallTau']:.12f}")
        ok &= abs(acc - m['pairwiseAccuracy']) < 1e-9 and abs(tau - m['kendallTau']) < 1e-9
    print('agree' if ok else 'MISMATCH')
    return 0 if ok else 1


if __name__ == '__main__':
    import sys
    if len(sys.argv) == 4 and sys.argv[1] == '--check':
        sys.exit(check(sys.argv[2], sys.argv[3]))
    main()
