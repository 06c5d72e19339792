"""The sweep killed at about half its cells and rerun gives the same table as a run left alone.

    .venv/bin/python -m benchmarks.sweep_resume [--systems 12] [--families nvar,esn,edmd,sindy,analog]

Two runs of ``python -m core.forecasting.sweep`` on the same cells, as the README runs it (a LocalCluster of
one worker per core): one uninterrupted; one killed with SIGKILL (the command and its workers)
once half the cells have their parts, then rerun. Prints both wall times, cells per minute, what
the kill lost (the cells that were running), and whether the final tables agree cell by cell. The
cells are scored at their defaults (``--budget 0``): a tuned cell stops its search on a clock, so
two tuned runs need not agree even without a kill.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from core.forecasting import sweep  # noqa: E402

# what a cell computes; its clock times, finish time and package versions differ run to run
SCORES = ["status", "message", "vpt", "vpt_std", "nrmse", "smape", "blow_ups", "windows", "lambda_max",
          "correlation_dimension", "hparams"]


def command(out: Path, systems: list[str], families: str) -> list[str]:
    return [sys.executable, "-m", "core.forecasting.sweep", "--out", str(out), "--systems", ",".join(systems), "--families",
            families, "--budget", "0"]


def parts(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in out.glob("part-*.parquet")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=12, help="the first N chaotic systems of the catalog")
    parser.add_argument("--families", default="nvar,esn,edmd,sindy,analog")
    args = parser.parse_args()
    systems = sweep.chaotic_systems()[: args.systems]
    total = len(systems) * len(args.families.split(","))
    scratch = Path(tempfile.mkdtemp(prefix="chaoslab-resume-"))
    whole, killed = scratch / "whole", scratch / "killed"

    start = time.perf_counter()
    subprocess.run(command(whole, systems, args.families), cwd=ROOT, check=True, capture_output=True)
    alone = time.perf_counter() - start

    start = time.perf_counter()
    process = subprocess.Popen(command(killed, systems, args.families), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while len(parts(killed)) < total // 2 and process.poll() is None:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the command and its Dask workers, mid-cell
    process.wait()
    first = time.perf_counter() - start
    kept = parts(killed)
    scratch_files = len(list(killed.glob(".part-*")))
    start = time.perf_counter()
    rerun = subprocess.run(command(killed, systems, args.families), cwd=ROOT, check=True,
                           capture_output=True, text=True)
    second = time.perf_counter() - start

    a = sweep.read(whole).set_index("key").sort_index()
    b = sweep.read(killed).set_index("key").sort_index()
    same_keys = list(a.index) == list(b.index) and b.index.is_unique and len(b) == total
    numeric = [c for c in SCORES if a[c].dtype.kind == "f"]
    differs = np.zeros(len(a), bool)
    if same_keys:
        for c in SCORES:
            if c in numeric:
                differs |= ~np.isclose(a[c].to_numpy(float), b[c].to_numpy(float), rtol=1e-9, atol=0, equal_nan=True)
            else:
                differs |= (a[c].fillna("") != b[c].fillna("")).to_numpy()
    before_kill = a.index.isin([name[len("part-"):-len(".parquet")] for name in kept])
    # a family whose cells differ among those stored before the kill is not repeatable between two
    # processes at all (that is not the resume); one that differs only in resumed cells would be
    unrepeatable = set(a.family[differs & before_kill])
    resumed_wrong = set(a.family[differs & ~before_kill]) - unrepeatable
    same_scores = same_keys and not resumed_wrong
    untouched = {name: mtime for name, mtime in parts(killed).items() if name in kept} == kept

    print(f"\nThe sweep killed and resumed (command: .venv/bin/python -m benchmarks.sweep_resume "
          f"--systems {args.systems} --families {args.families})")
    rows = [
        ("cells", f"{total} ({len(systems)} systems × {len(args.families.split(','))} families, defaults, "
                  f"{os.cpu_count()} workers)"),
        ("uninterrupted run", f"{alone:.0f} s, {60 * total / alone:.1f} cells a minute (with the cluster's start)"),
        ("killed run: until SIGKILL", f"{first:.0f} s, {len(kept)} parts stored ({100 * len(kept) / total:.0f} %), "
                                      f"{scratch_files} half-written scratch file(s) left"),
        ("rerun", f"{second:.0f} s: {rerun.stdout.strip().splitlines()[-1]}"),
        ("killed + rerun / uninterrupted", f"{(first + second) / alone:.2f}"),
        ("parts stored before the kill untouched", "yes" if untouched else "NO"),
        ("same cells, once each", "yes" if same_keys else "NO"),
        ("same scores (" + ", ".join(SCORES[:5]) + ", …)", f"{len(a) - differs.sum()} of {len(a)} cells identical"),
        ("  families differing in cells stored before the kill", (", ".join(sorted(unrepeatable))
         + " (not repeatable between two processes: not the resume)") if unrepeatable else "none"),
        ("  families differing only in resumed cells", ", ".join(sorted(resumed_wrong)) or "none"),
    ]
    for case, value in rows:
        print(f"  {case:48s} {value}")
    if not (untouched and same_keys and same_scores):
        raise SystemExit("the resumed sweep differs from the uninterrupted one")


if __name__ == "__main__":
    main()
