"""`make bench-scale`: how the batch flow's time and memory grow with the rows (issue 17).

Each batch step runs as its own `dp` process against the target's services (the stack), once per
size, and is measured from outside: wall seconds, generated rows per second, and the peak
resident memory of the step's whole process tree (Python and its Spark JVM, sampled every
0.1 s). Per step, the growth exponent b of seconds ≈ a·rows^b is fitted by least squares on the
logs. A second series runs the same steps with Spark's `local-cluster` executors (separate JVMs).
Writes reports/scale.json and draws docs/images/scale.png.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from rich.console import Console
from rich.table import Table

STEPS = ("generate", "ingest", "stage", "validate", "curate", "features", "train")
GOAL_EXPONENT = 1.1
console = Console()


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants (0 for those already gone)."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def measure(step: str, args: list[str], env: dict[str, str], log: Path) -> dict[str, float]:
    """One step as `dp <step>`: its wall seconds and its process tree's peak memory."""
    started = time.perf_counter()
    with open(log, "ab") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "dp_cli", step, *args], stdout=out, stderr=out, env=env
        )
        watched, peak = psutil.Process(child.pid), 0
        while child.poll() is None:
            with contextlib.suppress(psutil.NoSuchProcess):
                peak = max(peak, tree_rss(watched))
            time.sleep(0.1)
    seconds = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"dp {step} failed ({child.returncode}); its output: {log}")
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak / 1e6, 1)}


def series(rows_list: list[int], days: int, master: str | None, log: Path) -> dict[str, Any]:
    """Every step at every size, in order (each size replaces the zones: ingest replaces raw)."""
    env = dict(os.environ)
    if master:
        env["DP_SPARK__MASTER"] = master
    runs: dict[str, Any] = {}
    for rows in rows_list:
        figures = {}
        for step in STEPS:
            args = ["--rows", str(rows), "--days", str(days)] if step == "generate" else []
            console.print(f"{master or 'default master'}: {rows:,} rows: {step}")
            figure = measure(step, args, env, log)
            figure["rows_per_s"] = round(rows / figure["seconds"], 1)
            figures[step] = figure
        runs[str(rows)] = figures
    return runs


def exponents(runs: dict[str, Any]) -> dict[str, float | None]:
    """Per step, b in seconds ≈ a·rows^b (None with fewer than two sizes)."""
    sizes = sorted(int(r) for r in runs)
    if len(sizes) < 2:
        return dict.fromkeys(STEPS)
    x = np.log(sizes)
    return {
        step: round(
            float(np.polyfit(x, np.log([runs[str(r)][step]["seconds"] for r in sizes]), 1)[0]), 3
        )
        for step in STEPS
    }


def segment_exponents(runs: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per pair of consecutive sizes, each step's local exponent: where the fit over all sizes
    averages a fixed-cost start with a data-bound end, the last pair shows the end."""
    sizes = sorted(int(r) for r in runs)
    return {
        f"{small}-{large}": {
            step: round(
                float(
                    np.log(runs[str(large)][step]["seconds"] / runs[str(small)][step]["seconds"])
                    / np.log(large / small)
                ),
                3,
            )
            for step in STEPS
        }
        for small, large in pairwise(sizes)
    }


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = result["series"]["default"]
    sizes = sorted(int(r) for r in runs)
    figure, (times, memory) = plt.subplots(1, 2, figsize=(11, 4.2))
    for step in STEPS:
        times.plot(sizes, [runs[str(r)][step]["seconds"] for r in sizes], marker="o", label=step)
        memory.plot(
            sizes, [runs[str(r)][step]["peak_rss_mb"] / 1000 for r in sizes], marker="o", label=step
        )
    for axis, label in ((times, "wall seconds"), (memory, "peak RSS of the step's processes, GB")):
        axis.set_xscale("log")
        axis.set_xlabel("generated rows")
        axis.set_ylabel(label)
        axis.grid(True, which="both", alpha=0.3)
    times.set_yscale("log")
    times.legend(fontsize=8)
    figure.suptitle(f"batch flow on the stack, {result['machine']['cores']} cores")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=90)


def table(result: dict[str, Any]) -> Table:
    view = Table(title="seconds / peak GB per step, and the growth exponent")
    view.add_column("series · rows")
    for step in STEPS:
        view.add_column(step)
    for name, runs in result["series"].items():
        for rows, figures in runs.items():
            cells = [f"{f['seconds']} / {f['peak_rss_mb'] / 1000:.2f}" for f in figures.values()]
            view.add_row(f"{name} · {int(rows):,}", *cells)
        view.add_row(f"{name} · exponent", *[str(b) for b in result["exponents"][name].values()])
    return view


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[200_000, 1_000_000, 5_000_000])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--executors", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--executor-rows", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--out", type=Path, default=Path("reports/scale.json"))
    parser.add_argument("--plot", type=Path, default=Path("docs/images/scale.png"))
    args = parser.parse_args()
    log = args.out.with_suffix(".log")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "machine": {"cores": os.cpu_count(), "platform": platform.platform()},
        "series": {"default": series(args.rows, args.days, None, log)},
    }
    for n in args.executors:
        master = f"local-cluster[{n},1,1024]"
        result["series"][master] = series(args.executor_rows, args.days, master, log)
    result["exponents"] = {name: exponents(runs) for name, runs in result["series"].items()}
    result["segment_exponents"] = {
        name: segment_exponents(runs) for name, runs in result["series"].items()
    }
    result["goal_exponent"] = GOAL_EXPONENT
    result["steps_over_goal"] = {
        name: [s for s, b in by_step.items() if b is not None and b > GOAL_EXPONENT]
        for name, by_step in result["exponents"].items()
    }
    args.out.write_text(json.dumps(result, indent=2))
    plot(result, args.plot)
    console.print(table(result))
    console.print(f"written: {args.out}, {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
