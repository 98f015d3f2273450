#!/usr/bin/env python3
"""Cross-validated Loghub-2k grouping accuracy of `vigil logs patterns`, with Drain3 side by side.

usage: bench/loghub_cv.py [--bin VIGIL] [--data LOGHUB_DIR] [--no-peers]

What it measures. Every knob of the miner is chosen leaving one dataset out: for each of the ten datasets, the
configuration of the grid below with the best mean GA on the other nine mines the tenth; the mean of those ten
left-out GAs is the cross-validated figure. Only the log format (where the message sits in a line) differs per
dataset, as in bench/loghub.sh. Scorer: /work/shared/tools/loghub_score.py (grouping accuracy, GA).

Per dataset it prints the left-out GA, the templates found against the true count, and Drain3's GA on the same
messages (pip install drain3): with its defaults (similarity 0.4, depth 4, no masking), and with the dataset's own
preprocessing regexes from log_formats.json as masks (the per-dataset setting of Loghub's Drain benchmark).
"""
import argparse, importlib.util, itertools, json, os, re, subprocess, sys, tempfile, time

GRID = {"prefix_tokens": [0, 1, 2], "merge_distinct": [2, 3, 4, 6]}
DEFAULTS = {"prefix_tokens": 1, "merge_distinct": 3}


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    return m


def format_regex(fmt):
    """Loghub's log_format to a regex with named groups (as Loghub's benchmark builds it)."""
    parts = re.split(r"(<[^<>]+>)", fmt)
    rx = ""
    for i, p in enumerate(parts):
        if i % 2 == 0:
            rx += re.sub(r" +", r"\\s+", p)
        else:
            rx += f"(?P<{p.strip('<>')}>.*?)"
    return re.compile("^" + rx + "$")


def messages(path, fmt):
    rx = format_regex(fmt)
    out = []
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.rstrip("\n")
        m = rx.match(line.strip())
        out.append(m.group("Content") if m else line)
    return out


def run_drain3(msgs, regexes, out):
    from drain3 import TemplateMiner
    from drain3.template_miner_config import TemplateMinerConfig
    from drain3.masking import MaskingInstruction
    import logging
    logging.getLogger("drain3").setLevel(logging.ERROR)
    cfg = TemplateMinerConfig()
    cfg.profiling_enabled = False
    cfg.masking_instructions = [MaskingInstruction(r, "*") for r in regexes]
    tm = TemplateMiner(config=cfg)
    ids = [tm.add_log_message(m)["cluster_id"] for m in msgs]
    with open(out, "w") as f:
        f.write("LineId,EventId\n")
        for i, c in enumerate(ids):
            f.write(f"{i + 1},D{c}\n")
    return len(set(ids))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=".build-release/release/vigil")
    ap.add_argument("--data", default="/work/shared/data/loghub")
    ap.add_argument("--scorer", default=os.environ.get("SCORER", "/work/shared/tools/loghub_score.py"))
    ap.add_argument("--no-peers", action="store_true")
    a = ap.parse_args()
    scorer = load(a.scorer, "loghub_score")
    formats = json.load(open(os.path.join(a.data, "log_formats.json")))["datasets"]
    datasets = sorted(formats)
    tmp = tempfile.mkdtemp(prefix="vigil-loghubcv.")
    names = sorted(GRID)
    configs = [dict(DEFAULTS)]
    for values in itertools.product(*(GRID[n] for n in names)):
        c = dict(zip(names, values))
        if c not in configs:
            configs.append(c)
    ga = {}      # (config index, dataset) -> GA
    groups = {}  # (config index, dataset) -> predicted groups
    truth = {}
    started = time.time()
    for ci, c in enumerate(configs):
        for ds in datasets:
            out = os.path.join(tmp, f"{ci}-{ds}.csv")
            args = [a.bin, "logs", "patterns", os.path.join(a.data, ds, f"{ds}_2k.log"), "--format", formats[ds]["log_format"], "--out", out]
            for k, v in c.items():
                args += ["--set", f"{k}={v}"]
            subprocess.run(args, check=True, stderr=subprocess.DEVNULL)
            g, _, _, true_groups, pred_groups = scorer.score(os.path.join(a.data, ds, f"{ds}_2k.log_structured.csv"), out)
            ga[ci, ds] = g
            groups[ci, ds] = pred_groups
            truth[ds] = true_groups
    print(f"vigil: {len(configs)} configurations × {len(datasets)} datasets mined in {time.time() - started:.0f} s "
          f"(grid: {', '.join(f'{n} {GRID[n]}' for n in names)})")

    def mean(ci, dss):
        return sum(ga[ci, d] for d in dss) / len(dss)

    print(f"\nvigil, defaults {DEFAULTS}: mean GA {mean(0, datasets):.3f} (in sample: the defaults were chosen on these sets)")
    best_in = max(range(len(configs)), key=lambda ci: mean(ci, datasets))
    print(f"vigil, best configuration in sample {configs[best_in]}: mean GA {mean(best_in, datasets):.3f}")
    rows = []
    for ds in datasets:
        rest = [d for d in datasets if d != ds]
        ci = max(range(len(configs)), key=lambda c: (mean(c, rest), c == 0))
        rows.append((ds, ci, ga[ci, ds], groups[ci, ds]))
    cv = sum(r[2] for r in rows) / len(rows)
    print(f"vigil, knobs chosen leaving each dataset out: mean GA {cv:.3f}")

    peers = {}
    if not a.no_peers:
        for ds in datasets:
            msgs = messages(os.path.join(a.data, ds, f"{ds}_2k.log"), formats[ds]["log_format"])
            gt = os.path.join(a.data, ds, f"{ds}_2k.log_structured.csv")
            out = os.path.join(tmp, f"drain3-{ds}.csv")
            n = run_drain3(msgs, [], out)
            d_default = scorer.score(gt, out)[0]
            n2 = run_drain3(msgs, formats[ds].get("regex", []), out)
            d_masked = scorer.score(gt, out)[0]
            peers[ds] = (d_default, n, d_masked, n2)

    print("\n| dataset | vigil GA (left out) | templates / true | chosen on the other nine | Drain3 defaults GA (templates) | Drain3 + dataset regexes GA (templates) |")
    print("|---|---:|---:|---|---:|---:|")
    for ds, ci, g, pg in rows:
        p = peers.get(ds)
        ptxt = f"{p[0]:.3f} ({p[1]}) | {p[2]:.3f} ({p[3]})" if p else "– | –"
        print(f"| {ds} | {g:.3f} | {pg} / {truth[ds]} ({100.0 * (pg - truth[ds]) / truth[ds]:+.0f} %) | {configs[ci]} | {ptxt} |")
    if peers:
        print(f"| mean | {cv:.3f} | | | {sum(p[0] for p in peers.values()) / len(peers):.3f} | {sum(p[2] for p in peers.values()) / len(peers):.3f} |")
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
