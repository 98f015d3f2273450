#!/usr/bin/env python3
"""Cross-validated NAB scores of `vigil anomaly score`, with peers scored the same way.

usage: bench/nab_cv.py [--bin VIGIL] [--data NAB_DIR] [--grid default|quick|none] [--peers] [--jobs N]

What it measures. The NAB scorer (/work/shared/tools/nab_score.py) picks the alert threshold that maximises the
score of the whole corpus, and the detector's constants were also chosen on that corpus: both flatter the figure.
Here every choice is made without the file (or category) being scored:

  1. The detector runs once per configuration of the grid below (`--set NAME=VALUE`, the defaults in the middle).
  2. For each configuration, threshold and file, the file's raw NAB score (NAB's rules: probation, scaled-sigmoid
     window weights, one detection per window, the profile's costs).
  3. Leave one file out: the (configuration, threshold) best on the other files scores the file left out; the sum
     over files, normalised as NAB does, is the cross-validated score. Leave one category out likewise (choose on
     realAWSCloudwatch, score realKnownCause, and back).

It also prints the default configuration with its threshold chosen in sample (what bench/nab.sh prints; the grid of
thresholds here is 0.001 wide, so it can differ in the last digit) and with only its threshold cross-validated, and a
sensitivity table (one constant varied at a time, in-sample threshold).

Peers (--peers; `pip install river`): river's HalfSpaceTrees with its defaults (10 trees, height 8, window 250, seed
42) behind a MinMaxScaler, scored and cross-validated the same way (their threshold only). Thresholds tried: a 0.001
grid plus 2,000 quantiles of each detector's own top 10 % of scores.
"""
import argparse, importlib.util, itertools, os, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor
import json
import numpy as np

GRIDS = {
    "default": {"tail_weight": [1, 2, 3], "hold_samples": [75, 150, 300], "season_slack": [0, 0.25, 0.5], "mean_length": [3, 6, 12]},
    "quick": {"tail_weight": [1, 2, 3], "season_slack": [0, 0.25, 0.5]},
    "none": {},
}
DEFAULTS = {"tail_weight": 2, "hold_samples": 150, "season_slack": 0.25, "mean_length": 6}
GRID_THRESHOLDS = np.concatenate([np.round(np.arange(0.300, 1.0005, 0.001), 3), [1.01]])


def thresholds_for(score_lists):
    """The candidate thresholds for one detector: a 0.001 grid and 2,000 quantiles of its top 10 % of scores (a
    detector whose scores crowd near 1 still gets thresholds that tell them apart)."""
    pooled = np.concatenate([np.asarray(s) for s in score_lists])
    q = np.quantile(pooled, np.linspace(0.9, 1.0, 2000))
    return np.unique(np.concatenate([GRID_THRESHOLDS, q]))


def load_scorer(path):
    spec = importlib.util.spec_from_file_location("nab_score", path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


class File:
    """One data file prepared for fast scoring at every threshold."""

    def __init__(self, scorer, data, rel, windows):
        self.rel = rel
        times = scorer.read_series(os.path.join(data, rel))
        self.n = len(times)
        points, self.nwin = scorer.prepare(times, windows)
        start = scorer.probation(self.n)
        self.start = start
        self.win = np.array([-1 if w is None else w for w, _ in points[start:]])
        self.weight = np.array([s for _, s in points[start:]])

    def raw(self, scores, prof, max_tp, THRESHOLDS):
        """Raw score at every threshold of THRESHOLDS."""
        sc = np.asarray(scores[self.start:])
        out = np.zeros(len(THRESHOLDS))
        outside = self.win < 0
        fs = sc[outside]
        fw = self.weight[outside]
        order = np.argsort(-fs, kind="stable")
        fs_desc = fs[order]
        cum = np.concatenate([[0.0], np.cumsum(fw[order])])
        # Points outside windows with score >= t: the first k of the descending order.
        k = np.searchsorted(-fs_desc, -THRESHOLDS, side="right")
        out += prof["fp"] * cum[k]
        detected = np.zeros(len(THRESHOLDS))
        for w in range(self.nwin):
            idx = np.nonzero(self.win == w)[0]
            if len(idx) == 0:
                continue
            pref = np.maximum.accumulate(sc[idx])
            first = np.searchsorted(pref, THRESHOLDS, side="left")
            hit = first < len(idx)
            wt = np.where(hit, self.weight[idx[np.minimum(first, len(idx) - 1)]], 0.0)
            out += np.where(hit, prof["tp"] * wt / max_tp, 0.0)
            detected += hit
        out -= prof["fn"] * (self.nwin - detected)
        return out


def read_scores(path, n):
    with open(path) as f:
        header = f.readline().strip().split(",")
        col = header.index("anomaly_score")
        vals = [float(line.rstrip("\n").split(",")[col]) for line in f if line.strip()]
    if len(vals) != n:
        raise SystemExit(f"{path}: {len(vals)} rows, expected {n}")
    return vals


def run_vigil(binary, data, rels, out, settings, jobs):
    def one(rel):
        dest = os.path.join(out, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        args = [binary, "anomaly", "score", os.path.join(data, rel), "--out", dest]
        for k, v in settings.items():
            args += ["--set", f"{k}={v}"]
        subprocess.run(args, check=True)
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(one, rels))


def run_river(data, rels, out):
    from river import anomaly, compose, preprocessing
    import csv
    for rel in rels:
        model = compose.Pipeline(preprocessing.MinMaxScaler(), anomaly.HalfSpaceTrees(seed=42))
        rows = list(csv.DictReader(open(os.path.join(data, rel))))
        dest = os.path.join(out, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "w") as f:
            f.write("timestamp,value,anomaly_score\n")
            for r in rows:
                x = {"value": float(r["value"])}
                s = model.score_one(x)
                model.learn_one(x)
                f.write(f"{r['timestamp']},{r['value']},{min(1.0, max(0.0, s)):.6f}\n")


def normalise(total, nwin, prof):
    null = -prof["fn"] * nwin
    perfect = prof["tp"] * nwin
    return 100.0 * (total - null) / (perfect - null)


def cross_validate(S, groups):
    """S: [config, threshold, file]. groups: list of file-index lists, each left out in turn. Returns the summed raw
    score of the left-out files and the chosen (config, threshold) per group."""
    total = S.sum(axis=2)
    cv = 0.0
    chosen = []
    for g in groups:
        rest = total - S[:, :, g].sum(axis=2)
        c, t = np.unravel_index(np.argmax(rest), rest.shape)
        cv += S[c, t, g].sum()
        chosen.append((c, t))
    return cv, chosen


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=".build-release/release/vigil")
    ap.add_argument("--data", default="/work/shared/data/nab")
    ap.add_argument("--scorer", default=os.environ.get("NAB_SCORER", "/work/shared/tools/nab_score.py"))
    ap.add_argument("--grid", choices=sorted(GRIDS), default="default")
    ap.add_argument("--peers", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    scorer = load_scorer(a.scorer)
    windows = json.load(open(os.path.join(a.data, "combined_windows.json")))
    rels = sorted(r for r in windows if os.path.exists(os.path.join(a.data, r)))
    files = [File(scorer, a.data, r, windows[r]) for r in rels]
    nwin = sum(f.nwin for f in files)
    prof = scorer.PROFILES["standard"]
    max_tp = scorer.scaled_sigmoid(-1.0)
    categories = sorted({r.split("/")[0] for r in rels})
    by_file = [[i] for i in range(len(files))]
    by_category = [[i for i, r in enumerate(rels) if r.startswith(c + "/")] for c in categories]

    grid = GRIDS[a.grid]
    names = sorted(grid)
    configs = [dict(DEFAULTS)]
    for values in itertools.product(*(grid[n] for n in names)):
        c = dict(DEFAULTS)
        c.update(zip(names, values))
        if c not in configs:
            configs.append(c)
    tmp = tempfile.mkdtemp(prefix="vigil-nabcv.")
    started = time.time()
    scores = []
    for ci, c in enumerate(configs):
        out = os.path.join(tmp, str(ci))
        run_vigil(a.bin, a.data, rels, out, c, a.jobs)
        scores.append([read_scores(os.path.join(out, f.rel), f.n) for f in files])
        subprocess.run(["rm", "-rf", out])
    THRESHOLDS = thresholds_for(scores[0])
    S = np.zeros((len(configs), len(THRESHOLDS), len(files)))
    for ci in range(len(configs)):
        for fi, f in enumerate(files):
            S[ci, :, fi] = f.raw(scores[ci][fi], prof, max_tp, THRESHOLDS)
    print(f"vigil: {len(configs)} configurations × {len(files)} files scored in {time.time() - started:.0f} s "
          f"(grid {a.grid}: {', '.join(f'{n} {grid[n]}' for n in names) or 'defaults only'})")

    d = S[0]
    t_in = int(np.argmax(d.sum(axis=1)))
    print(f"\nvigil, defaults, threshold in sample ({THRESHOLDS[t_in]:.3f}): standard {normalise(d[t_in].sum(), nwin, prof):.1f}")
    cv_t, _ = cross_validate(S[:1], by_file)
    print(f"vigil, defaults, threshold chosen leaving each file out: standard {normalise(cv_t, nwin, prof):.1f}")
    cv, chosen = cross_validate(S, by_file)
    print(f"vigil, constants and threshold chosen leaving each file out: standard {normalise(cv, nwin, prof):.1f}")
    picks = {}
    for c, t in chosen:
        key = (tuple(sorted(configs[c].items())), round(float(THRESHOLDS[t]), 3))
        picks[key] = picks.get(key, 0) + 1
    for (cfg, thr), count in sorted(picks.items(), key=lambda kv: -kv[1]):
        print(f"    chosen for {count} of {len(files)} folds: {dict(cfg)} threshold {thr}")
    cvc, chosen_c = cross_validate(S, by_category)
    print(f"vigil, constants and threshold chosen leaving each category out: standard {normalise(cvc, nwin, prof):.1f}")
    for cat, (c, t) in zip(categories, chosen_c):
        print(f"    {cat} scored with {configs[c]} threshold {THRESHOLDS[t]:.3f}")

    print("\nper file (left-out score with the constants and threshold chosen on the other files):")
    for fi, (c, t) in enumerate(chosen):
        print(f"  {rels[fi]}: raw {S[c, t, fi]:.3f} windows {files[fi].nwin}")

    if len(configs) > 1:
        print("\nsensitivity (in-sample threshold; one constant varied from the defaults):")
        for n in names:
            row = []
            for v in grid[n]:
                c = dict(DEFAULTS)
                c[n] = v
                ci = configs.index(c)
                row.append(f"{v}: {normalise(S[ci].sum(axis=1).max(), nwin, prof):.1f}")
            print(f"  {n:>13}  " + "  ".join(row))

    if a.peers:
        out = os.path.join(tmp, "river")
        started = time.time()
        run_river(a.data, rels, out)
        peer_scores = [read_scores(os.path.join(out, f.rel), f.n) for f in files]
        THRESHOLDS = thresholds_for(peer_scores)
        P = np.zeros((1, len(THRESHOLDS), len(files)))
        for fi, f in enumerate(files):
            P[0, :, fi] = f.raw(peer_scores[fi], prof, max_tp, THRESHOLDS)
        t_in = int(np.argmax(P[0].sum(axis=1)))
        cvp, _ = cross_validate(P, by_file)
        cvpc, _ = cross_validate(P, by_category)
        print(f"\nriver HalfSpaceTrees ({time.time() - started:.0f} s): standard in sample {normalise(P[0, t_in].sum(), nwin, prof):.1f} "
              f"(threshold {THRESHOLDS[t_in]:.5f}); threshold leaving each file out {normalise(cvp, nwin, prof):.1f}; "
              f"each category out {normalise(cvpc, nwin, prof):.1f}")
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
