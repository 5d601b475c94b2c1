#!/usr/bin/env python3
"""Draws the scaling plot of a `ratios` bench run: time per query against the
process count, log-log, one line per implementation, one panel per query.

Usage: python3 benches/plot.py [RESULTS.csv ...] [OUT.svg]

RESULTS.csv is what `cargo bench --bench ratios` writes
(target/pidquery-bench/ratios.csv by default): one line per group and
contestant with the median of the per-round best call; or what
`python3 benches/ratios.py --select --csv` writes from the `select` bench's
runs (median over runs). Several CSVs are drawn together. OUT.svg defaults to
benches/scaling.svg. Needs matplotlib (pip install matplotlib); not part of
the build.
"""

import csv
import math
import sys
from collections import OrderedDict

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

# Implementations in legend order, with a fixed style each, so that every
# panel reads the same.
STYLES = OrderedDict(
    [
        ("pidquery", dict(color="#d62728", marker="o", linewidth=2.2)),
        ("pidquery tracking reuse", dict(color="#ff7f0e", marker="o", linestyle="-.")),
        ("pidquery fill", dict(color="#ff9896", marker="o", linestyle="--")),
        ("pidquery fill_slice", dict(color="#e377c2", marker="o", linestyle=":")),
        ("floor", dict(color="black", marker="s", linestyle="--")),
        ("children files", dict(color="#7f7f7f", marker="s", linestyle=":")),
        ("libproc", dict(color="#1f77b4", marker="^")),
        ("procfs", dict(color="#2ca02c", marker="v")),
        ("sysinfo new", dict(color="#9467bd", marker="D")),
        ("sysinfo reused", dict(color="#c5b0d5", marker="D")),
        ("std fs", dict(color="#8c564b", marker="x")),
        ("pidfd poll (deaths only)", dict(color="#17becf", marker="*")),
        ("pidquery ppid alone", dict(color="#ff9896", marker="o", linestyle="--")),
        ("pidquery, uid 65534", dict(color="#ff7f0e", marker="o", linestyle="-.")),
        ("psutil", dict(color="#bcbd22", marker="P")),
        ("pidgrep", dict(color="#d62728", marker="o", linestyle=":")),
        ("pgrep", dict(color="#7f7f7f", marker="s", linestyle="-")),
    ]
)

# What each panel's `pidquery` line is.
TITLES = {
    "all": "all",
    "uid 0": "uid(0)",
    "uid": "uid (own)",
    "uid nobody": "uid(nobody)",
    "ruid": "ruid",
    "ppid": "ppid, few children",
    "ppid threaded": "ppid, multi-threaded parent",
    "ppid many": "ppid, parent of the crowd",
    "ppid scan": "ppid(0): a scan",
    "pgrp": "pgrp, 4 processes",
    "pgrp many": "pgrp, the crowd's group",
    "tty": "tty",
    "descendants": "descendants, tree of 100",
    "watch all": "watch all: poll, nothing changed",
    "watch descendants": "watch descendants: poll",
    "find": "all().iter().find(early pid)",
    "name and uid": "name ∧ euid(0)",
    "name and cmdline": "name ∧ cmdline substring",
    "cmdline": "cmdline substring",
    "parent and name": "parent ∧ name, few children",
    "whole process: -u root sleep": "whole process: pgrep -u root sleep",
    "whole process: -f sleep 7777": "whole process: pgrep -f 'sleep 7777'",
}


def load(paths):
    panels = OrderedDict()
    for path in paths:
        load_one(path, panels)
    # A query measured at one process count only has no scaling to show.
    return OrderedDict(
        (q, lines) for q, lines in panels.items() if max(len(p) for p in lines.values()) > 1
    )


def load_one(path, panels):
    with open(path) as f:
        for row in csv.DictReader(f):
            query = row["query"]
            ns = float(row["median_ns"])
            if not math.isfinite(ns) or ns <= 0:
                continue
            # The count at the quietest moment of the group: other people's
            # processes come and go on a shared machine.
            procs = int(row["processes_range"].split("\u2013")[0])
            lines = panels.setdefault(query, OrderedDict())
            lines.setdefault(row["column"], []).append((procs, ns / 1e6))


def main():
    srcs = [a for a in sys.argv[1:] if a.endswith(".csv")] or ["target/pidquery-bench/ratios.csv"]
    out = next((a for a in sys.argv[1:] if a.endswith(".svg")), "benches/scaling.svg")
    panels = load(srcs)
    n = len(panels)
    cols = 4
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    used = set()
    for ax, (query, lines) in zip(axes.flat, panels.items()):
        for column, style in STYLES.items():
            points = sorted(lines.get(column, []))
            if not points:
                continue
            xs, ys = zip(*points)
            ax.plot(xs, ys, label=column, markersize=4, **style)
            used.add(column)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(TITLES.get(query, query), fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
        ax.tick_params(labelsize=8)
        ax.set_xlabel("processes", fontsize=8)
        ax.set_ylabel("ms per query", fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    handles = [
        plt.Line2D([], [], markersize=5, **STYLES[c]) for c in STYLES if c in used
    ]
    labels = [c for c in STYLES if c in used]
    fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=9,
               frameon=False)
    fig.suptitle("pidquery and its peers: time per query against the process count (log-log)",
                 fontsize=12)
    fig.tight_layout(rect=(0, 0.06, 1, 0.97))
    fig.savefig(out, metadata={"Date": None})
    print(f"wrote {out}: {n} panels")


if __name__ == "__main__":
    main()
