#!/usr/bin/env python3
"""Turns the last `cargo bench --bench query` run into the ratio tables of
BENCHMARKS.md.

Usage: python3 benches/ratios.py [target/criterion]

For every group it reads each contestant's `new/sample.json` and takes the
per-iteration time of every sample; the statistic is the median sample, or
with `--p10` the 10th percentile (less sensitive to other load on a shared
machine). Ratios are taken between contestants of the same group, which ran
within a few seconds of each other.
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


def main():
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
