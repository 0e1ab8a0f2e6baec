#!/usr/bin/env python3
"""Compares two snapshots made by snapshot.sh (before and after a change), numerically.

Every output file of the first snapshot must exist in the second with the same content up to
--rtol/--atol: npz arrays (NaN equal to NaN; pickled VideoPose3D dicts compared recursively),
calibration TOML, report.json (timings, paths and software versions ignored), CSV, TRC, YAML and
the data embedded in report.html. The terminal summaries (*.txt) hold timings and are compared
only for their exit lines. Exit code 0 when everything agrees, 1 otherwise (each difference
listed).

    python3 bench/regression/compare.py BEFORE AFTER [--rtol 1e-9] [--atol 1e-12]
"""
import argparse
import json
import math
import os
import re
import sys
import tomllib

import numpy as np

IGNORED_KEYS = {"timings_s", "seconds", "time_s", "elapsed_s", "generated", "version", "software_version"}
NUM = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf", re.I)


class Diff:
    def __init__(self, rtol, atol, roots):
        self.rtol, self.atol, self.roots = rtol, atol, roots
        self.problems = []

    def say(self, where, what):
        self.problems.append(f"{where}: {what}")

    def close(self, a, b):
        if isinstance(a, float) and isinstance(b, float):
            if math.isnan(a) and math.isnan(b):
                return True
            if math.isinf(a) or math.isinf(b):
                return a == b
        return abs(a - b) <= self.atol + self.rtol * max(abs(a), abs(b))

    def strip(self, s):
        for r in self.roots:
            s = s.replace(r, "ROOT")
        return s

    def value(self, where, a, b):
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                if k in IGNORED_KEYS:
                    continue
                if k not in a or k not in b:
                    self.say(where, f"key '{k}' only in {'after' if k in b else 'before'}")
                    continue
                self.value(f"{where}.{k}", a[k], b[k])
        elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
            if len(a) != len(b):
                self.say(where, f"length {len(a)} vs {len(b)}")
                return
            for i, (x, y) in enumerate(zip(a, b)):
                self.value(f"{where}[{i}]", x, y)
        elif isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            self.array(where, np.asarray(a), np.asarray(b))
        elif isinstance(a, bool) or isinstance(b, bool):
            if a != b:
                self.say(where, f"{a} vs {b}")
        elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
            if not self.close(float(a), float(b)):
                self.say(where, f"{a!r} vs {b!r}")
        elif isinstance(a, str) and isinstance(b, str):
            if self.strip(a) != self.strip(b):
                self.say(where, f"{a!r} vs {b!r}")
        elif a != b:
            self.say(where, f"{a!r} vs {b!r}")

    def array(self, where, a, b):
        if a.shape != b.shape:
            self.say(where, f"shape {a.shape} vs {b.shape}")
            return
        if a.dtype.kind in "fc" or b.dtype.kind in "fc":
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            same_nan = np.isnan(a64) == np.isnan(b64)
            ok = same_nan & (np.isnan(a64) | np.isclose(a64, b64, rtol=self.rtol, atol=self.atol))
            if not ok.all():
                bad = np.argwhere(~ok)
                i = tuple(bad[0])
                self.say(where, f"{len(bad)} of {a.size} values differ, first at {i}: {a64[i]!r} vs {b64[i]!r}, "
                                f"max |diff| {np.nanmax(np.abs(a64 - b64)):.3g}")
        elif a.dtype.kind == "O":
            self.value(where, a.tolist(), b.tolist())
        elif not np.array_equal(a, b):
            self.say(where, "values differ")


def load_npz(path):
    with np.load(path, allow_pickle=True) as z:
        out = {}
        for k in z.files:
            v = z[k]
            out[k] = v.item() if v.dtype.kind == "O" and v.shape == () else v
        return out


def numbers(text):
    return [t for t in NUM.findall(text)]


def html_data(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r'<script type="application/json" id="epilabel-data">(.*?)</script>', text, re.S)
    return json.loads(m.group(1)) if m else None


def compare_file(d, rel, a, b):
    name = os.path.basename(rel)
    if name.endswith(".npz"):
        d.value(rel, load_npz(a), load_npz(b))
    elif name.endswith(".toml"):
        d.value(rel, tomllib.load(open(a, "rb")), tomllib.load(open(b, "rb")))
    elif name.endswith(".json"):
        d.value(rel, json.load(open(a)), json.load(open(b)))
    elif name.endswith(".html"):
        d.value(rel, html_data(a), html_data(b))
    elif name.endswith((".csv", ".trc", ".yml")):
        ta, tb = open(a).read(), open(b).read()
        na, nb = numbers(ta), numbers(tb)
        if len(na) != len(nb):
            d.say(rel, f"{len(na)} vs {len(nb)} numbers")
            return
        for i, (x, y) in enumerate(zip(na, nb)):
            if not d.close(float(x), float(y)):
                d.say(rel, f"number {i}: {x} vs {y}")
                return
    elif name.endswith(".txt"):
        ea = [l for l in open(a) if "exit" in l]
        eb = [l for l in open(b) if "exit" in l]
        if ea != eb:
            d.say(rel, f"exit lines {ea} vs {eb}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("before")
    p.add_argument("after")
    p.add_argument("--rtol", type=float, default=1e-9)
    p.add_argument("--atol", type=float, default=1e-12)
    args = p.parse_args()
    roots = [os.path.realpath(args.before), os.path.realpath(args.after)]
    d = Diff(args.rtol, args.atol, roots)
    files = 0
    for root, _, names in os.walk(args.before):
        for n in sorted(names):
            a = os.path.join(root, n)
            rel = os.path.relpath(a, args.before)
            b = os.path.join(args.after, rel)
            if not os.path.exists(b):
                d.say(rel, "missing after")
                continue
            files += 1
            compare_file(d, rel, a, b)
    for root, _, names in os.walk(args.after):
        for n in names:
            rel = os.path.relpath(os.path.join(root, n), args.after)
            if not os.path.exists(os.path.join(args.before, rel)):
                d.say(rel, "new after (not compared)")
    for line in d.problems:
        print(line)
    print(f"{files} files compared, {len(d.problems)} differences")
    return 1 if d.problems else 0


if __name__ == "__main__":
    sys.exit(main())
