#!/usr/bin/env python3
"""Turns the last `cargo bench --bench query` run into the ratio tables of
BENCHMARKS.md; with `--select`, the runs of `cargo bench --bench select`.

Usage: python3 benches/ratios.py [--p10] [target/criterion]
       python3 benches/ratios.py --select [--csv OUT.csv] [ROUND_DIR ...]

For every group it reads each contestant's `new/sample.json` and takes the
per-iteration time of every sample; the statistic is the median sample, or
with `--p10` the 10th percentile (less sensitive to other load on a shared
machine). Ratios are taken between contestants of the same group, which ran
within a few seconds of each other.

With `--select`, each ROUND_DIR (default target/criterion) is the criterion
directory of one run of the `select` bench; every ratio is taken within a
run, and the table shows the median over runs with their range. `--csv`
writes every contestant's median time in the CSV format of
`benches/plot.py`.
"""

import json
import os
import statistics
import sys


def per_iter(sample_path, quantile):
    with open(sample_path) as f:
        s = json.load(f)
    times = sorted(t / i for t, i in zip(s["times"], s["iters"]))
    if quantile is None:
        return statistics.median(times)
    return times[int(quantile * (len(times) - 1))]


def load(root, quantile):
    groups = {}
    for group_dir in sorted(os.listdir(root)):
        path = os.path.join(root, group_dir)
        if not os.path.isdir(path) or group_dir == "report":
            continue
        for fn_dir in sorted(os.listdir(path)):
            new = os.path.join(path, fn_dir, "new")
            bench = os.path.join(new, "benchmark.json")
            sample = os.path.join(new, "sample.json")
            if not (os.path.exists(bench) and os.path.exists(sample)):
                continue
            with open(bench) as f:
                meta = json.load(f)
            elements = (meta.get("throughput") or {}).get("Elements")
            g = groups.setdefault(meta["group_id"], {"procs": elements, "t": {}})
            g["t"][meta["function_id"]] = per_iter(sample, quantile)
    return groups


def fmt_time(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e3:.1f} µs"


def ratio(t, a, b):
    if a in t and b in t:
        return fmt_ratio(t[a] / t[b])
    return "n/a"


def fmt_ratio(r):
    """Two decimals, or 1/N below 0.1 so that small ratios keep a digit."""
    return f"{r:.2f}" if r >= 0.1 else f"1/{1 / r:.0f}"


def order(name):
    head, _, tail = name.partition(" +")
    filters = ["all", "uid", "ruid", "ppid", "pgrp", "tty"]
    rank = filters.index(head) if head in filters else len(filters)
    return (int(tail) if tail.isdigit() else 0, rank, name)


# The `select` bench: each group's reference contestant, the issue's
# target for pidquery against it, and the peers.
SELECT = [
    ("name and uid", "floor", "pidquery Query", 1.1),
    ("name and cmdline", "floor", "pidquery Query", 1.1),
    ("cmdline", "floor", "pidquery Query", 1.1),
    ("parent and name", "pidquery ppid alone", "pidquery Query", 2.0),
    ("whole process: -u root sleep", "pgrep", "pidgrep", 0.25),
    ("whole process: -f sleep 7777", "pgrep", "pidgrep", 0.25),
]
PEERS = ["procfs", "sysinfo reused", "psutil"]
# The plot's name for each contestant.
COLUMNS = {"pidquery Query": "pidquery", "pidquery Query, uid 65534": "pidquery, uid 65534"}


def split_suffix(name):
    head, _, tail = name.rpartition(" +")
    return (head, int(tail)) if tail.isdigit() else (name, 0)


def med_range(values):
    values = sorted(values)
    m = statistics.median(values)
    if len(values) == 1:
        return fmt_ratio(m)
    return f"{fmt_ratio(m)} ({fmt_ratio(values[0])}–{fmt_ratio(values[-1])})"


def select(roots, csv_out):
    runs = [load(r, None) for r in roots]
    names = sorted(
        {n for g in runs for n in g if split_suffix(n)[0] in {q for q, *_ in SELECT}},
        key=lambda n: ([q for q, *_ in SELECT].index(split_suffix(n)[0]), split_suffix(n)[1]),
    )
    print(f"{len(runs)} run(s); median of the per-run ratios (range)")
    print()
    print(
        "| group | processes | pidquery | reference | pidquery / reference | target | "
        + " | ".join(f"{p} / pidquery" for p in PEERS)
        + " |"
    )
    print("| --- | ---: | ---: | ---: | ---: | --- | " + " | ".join("---:" for _ in PEERS) + " |")
    rows = []
    for name in names:
        query, _ = split_suffix(name)
        _, ref, ours, target = next(x for x in SELECT if x[0] == query)
        present = [g[name] for g in runs if name in g and ours in g[name]["t"]]
        if not present:
            continue
        procs = sorted(g["procs"] or 0 for g in present)
        r = [g["t"][ours] / g["t"][ref] for g in present if ref in g["t"]]
        m = statistics.median(r) if r else None
        verdict = "" if m is None else ("met" if m <= target else "**miss**")
        cells = [
            name,
            f"{procs[0]}–{procs[-1]}" if procs[0] != procs[-1] else str(procs[0]),
            fmt_time(statistics.median(g["t"][ours] for g in present)),
            f"{ref} {fmt_time(statistics.median(g['t'][ref] for g in present if ref in g['t']))}"
            if r
            else "n/a",
            med_range(r) if r else "n/a",
            f"≤ {target} {verdict}",
        ]
        for peer in PEERS:
            pr = [g["t"][peer] / g["t"][ours] for g in present if peer in g["t"]]
            cells.append(med_range(pr) if pr else "")
        print("| " + " | ".join(cells) + " |")
        extra = "pidquery Query, uid 65534"
        if ref == "floor" and any(extra in g["t"] for g in present):
            er = [g["t"][extra] / g["t"][ref] for g in present if extra in g["t"]]
            print(f"| {name}, uid 65534 | | "
                  f"{fmt_time(statistics.median(g['t'][extra] for g in present if extra in g['t']))}"
                  f" | | {med_range(er)} | | | | |")
        contestants = sorted({c for g in present for c in g["t"]})
        for c in contestants:
            ts = [g["t"][c] for g in present if c in g["t"]]
            rows.append((name, query, procs, c, statistics.median(ts), ref))
    if csv_out:
        import csv

        with open(csv_out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["group", "query", "processes", "processes_range", "contestant",
                        "column", "median_ns", "ratio_to_floor", "allocs_per_call"])
            for name, query, procs, c, ns, ref in rows:
                ref_ns = next(r[4] for r in rows if r[0] == name and r[3] == ref) \
                    if any(r[0] == name and r[3] == ref for r in rows) else float("nan")
                w.writerow([name, query, procs[len(procs) // 2], f"{procs[0]}\u2013{procs[-1]}",
                            c, COLUMNS.get(c, c), round(ns), f"{ns / ref_ns:.4f}", ""])
        print(f"\nwrote {csv_out}")


def main():
    if "--select" in sys.argv:
        argv = sys.argv[1:]
        csv_out = argv[argv.index("--csv") + 1] if "--csv" in argv else None
        roots = [a for a in argv if not a.startswith("--") and a != csv_out]
        select(roots or ["target/criterion"], csv_out)
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    quantile = 0.1 if "--p10" in sys.argv else None
    root = args[0] if args else "target/criterion"
    groups = load(root, quantile)
    print(
        "| group | processes | pidquery fill | pidquery / floor | procfs / pidquery "
        "| sysinfo new / pidquery | sysinfo reused / pidquery | std fs / pidquery "
        "| children file / pidquery |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in sorted(groups, key=order):
        g = groups[name]
        t = g["t"]
        p = "pidquery fill"
        cells = [
            name,
            str(g["procs"] or "?"),
            fmt_time(t[p]) if p in t else "n/a",
            ratio(t, p, "floor"),
            ratio(t, "procfs", p),
            ratio(t, "sysinfo new", p),
            ratio(t, "sysinfo reused", p),
            ratio(t, "std fs", p),
            ratio(t, "children file", p),
        ]
        print("| " + " | ".join(cells) + " |")
    slices = {n: g["t"] for n, g in groups.items() if "pidquery fill_slice" in g["t"]}
    if slices:
        print()
        print("| group | fill_slice / floor | fill_slice / fill |")
        print("| --- | ---: | ---: |")
        for name in sorted(slices, key=order):
            t = slices[name]
            s = "pidquery fill_slice"
            cells = [name, ratio(t, s, "floor"), ratio(t, s, "pidquery fill")]
            print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
