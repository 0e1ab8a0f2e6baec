#!/usr/bin/env python3
"""HoT token pruning: does the pruned transformer stay within 2 % of the unpruned one's error?

Trains the bench's window-27, depth-4 transformer with and without `--prune-tokens 9` (9 of 27
frames kept after the first block) on the demo's studio split with exactly the same training
(epochs, samples per epoch, seed: the same batches), for several training seeds, and reports the
held-out MPJPE of both, the paired ratio pruned / unpruned per seed, its mean and spread, and
the inference speed-up. Runs build/bench/lifter_models_accuracy, one process per seed (--jobs 2
runs two seeds side by side; CPU seconds are then a little higher for both models alike).

  /usr/bin/python3 bench/pruning_accuracy.py [--bench build/bench/lifter_models_accuracy]
      [--seeds 1,2,3] [--epochs 4] [--samples-per-epoch 6000] [--frames 3000] [--jobs 1]
      [--models transformer-w27-d4,transformer-w27-d4-prune]

The target (issue 19): mean ratio <= 1.02. With a few seeds the spread of the ratio says how
much that verdict is worth; the ratio at equal training is what is measured, not converged
error.
"""
import argparse
import re
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

ROW = re.compile(r"^(\S+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s*$")


def run_seed(args, seed):
    cmd = ["nice", args.bench, "--frames", str(args.frames), "--threads", "1", "--epochs", str(args.epochs),
           "--samples-per-epoch", str(args.samples_per_epoch), "--seed", str(seed), "--models", args.models]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(1)] = {"params": int(m.group(2)), "mpjpe": float(m.group(3)), "p_mpjpe": float(m.group(4)),
                                "infer_fps": float(m.group(7)), "train_cpu_s": float(m.group(9))}
    return seed, rows


def spread(values):
    mean = statistics.mean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:.4f} (sd {sd:.4f}, {min(values):.4f}-{max(values):.4f})"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bench", default="build/bench/lifter_models_accuracy")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--samples-per-epoch", type=int, default=6000)
    p.add_argument("--frames", type=int, default=3000)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--models", default="transformer-w27-d4,transformer-w27-d4-prune",
                   help="the unpruned model, then the pruned one")
    args = p.parse_args()
    full, pruned = args.models.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"{full} vs {pruned}: {args.epochs} epochs x {args.samples_per_epoch} samples, frames {args.frames}, "
          f"seeds {seeds}, one thread per run")
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = sorted(pool.map(lambda s: run_seed(args, s), seeds))
    print(f"{'seed':>4} {'MPJPE full':>11} {'MPJPE pruned':>13} {'ratio':>7} {'P-MPJPE ratio':>14} "
          f"{'infer fr/s full/pruned':>23} {'train cpu s full/pruned':>24}")
    ratios, p_ratios, time_ratios, full_mm, pruned_mm = [], [], [], [], []
    for seed, rows in results:
        if full not in rows or pruned not in rows:
            sys.exit(f"seed {seed}: the bench printed no row for {full} or {pruned}")
        a, b = rows[full], rows[pruned]
        ratios.append(b["mpjpe"] / a["mpjpe"])
        p_ratios.append(b["p_mpjpe"] / a["p_mpjpe"])
        time_ratios.append(a["infer_fps"] / b["infer_fps"])  # pruned time / full time
        full_mm.append(a["mpjpe"])
        pruned_mm.append(b["mpjpe"])
        print(f"{seed:>4} {a['mpjpe']:>11.2f} {b['mpjpe']:>13.2f} {ratios[-1]:>7.4f} {p_ratios[-1]:>14.4f} "
              f"{a['infer_fps']:>11.0f} / {b['infer_fps']:<9.0f} {a['train_cpu_s']:>11.1f} / {b['train_cpu_s']:<10.1f}")
    print(f"MPJPE mm, unpruned: {spread(full_mm)}")
    print(f"MPJPE mm, pruned:   {spread(pruned_mm)}")
    print(f"ratio pruned / unpruned (paired by seed): {spread(ratios)}")
    print(f"P-MPJPE ratio: {spread(p_ratios)}")
    print(f"inference time pruned / unpruned: {spread(time_ratios)}")
    verdict = "met" if statistics.mean(ratios) <= 1.02 else "missed"
    print(f"target mean ratio <= 1.02: {verdict}")


if __name__ == "__main__":
    main()
