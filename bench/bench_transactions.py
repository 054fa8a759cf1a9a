"""Benchmark: what writing out/ as a durable transaction costs.

    python bench/bench_transactions.py              # 1,000 and 10,000 units, 5 runs each
    python bench/bench_transactions.py --repeat 9
    python bench/bench_transactions.py --base /path/to/older/unitgen   # also time another checkout

For each size, two spec trees compile into one out/ and differ in every unit, so each
compile replaces every file.  Three ways of writing are timed, each a fresh process with
the cache off:

* durable: the transaction as shipped (the staged files synced to disk by one ``os.sync``,
  the staging directories, the journal and every directory written to fsync'ed);
* no fsync: the same transaction with ``os.fsync`` and ``os.sync`` no-ops (what
  durability costs);
* base (with --base): the unitgen found there, e.g. one from before transactions.

"fresh" writes into an empty out/, "replace" rewrites every unit of a full one.  Each figure
is the median of the runs, with the fastest and slowest.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_compile import PROJECT, generate

UNITS_PER_SPEC = 4 / 3  # the benchmark's three kinds of spec: 1, 2 and 1 units
NO_FSYNC = "import os, sys; os.fsync = lambda fd: None; os.sync = lambda: None; sys.argv[0] = 'unitgen'; from unitgen.cli import run; run()"
REPO = Path(__file__).resolve().parent.parent


def timed(command: list[str], cwd: Path, pythonpath: Path) -> float:
    environment = {**os.environ, "PYTHONPATH": str(pythonpath), "UNITGEN_NO_CACHE": "1"}
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=environment)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{proc.stderr[-3000:]}")
    return elapsed


def main() -> None:
    arguments = sys.argv[1:]
    repeat, base = 5, None
    if "--repeat" in arguments:
        at = arguments.index("--repeat")
        repeat = int(arguments[at + 1])
        del arguments[at : at + 2]
    if "--base" in arguments:
        at = arguments.index("--base")
        base = Path(arguments[at + 1]).resolve()
        del arguments[at : at + 2]
    units = [int(a) for a in arguments] or [1000, 10000]
    ways = {"durable": ([sys.executable, "-m", "unitgen"], REPO), "no fsync": ([sys.executable, "-c", NO_FSYNC], REPO)}
    if base is not None:
        ways["base"] = ([sys.executable, "-m", "unitgen"], base)
    print(f"python {sys.version.split()[0]}, in {tempfile.gettempdir()}; median (fastest-slowest) of {repeat} runs")
    for count in units:
        work = Path(tempfile.mkdtemp(prefix="unitgen-bench-txn-"))
        try:
            for name, user in (("a", "core"), ("b", "core2")):
                specs = work / name / "specs"
                generate(specs, round(count / UNITS_PER_SPEC))
                (specs / "unitgen.toml").write_text(
                    f'output = "{work / "out"}"\n' + PROJECT.replace('"core"', f'"{user}"')
                )
            times: dict[str, list[float]] = {f"{way} {kind}": [] for way in ways for kind in ("fresh", "replace")}
            for _ in range(repeat):  # interleaved, so that a slower minute of the machine hits every way
                for way, (command, pythonpath) in ways.items():
                    shutil.rmtree(work / "out", ignore_errors=True)
                    compile_ = [*command, "compile", "specs", "-q"]
                    times[f"{way} fresh"].append(timed(compile_, work / "a", pythonpath))
                    times[f"{way} replace"].append(timed(compile_, work / "b", pythonpath))
            written = sum(1 for _ in (work / "out").iterdir())
            print(f"{written:>6} units:")
            for label, runs in times.items():
                print(f"  {label:<16} {statistics.median(runs):6.2f} s ({min(runs):.2f}-{max(runs):.2f})")
        finally:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
