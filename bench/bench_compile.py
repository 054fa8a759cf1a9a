"""Benchmark: the figures of issue 13, measured with the real ``unitgen`` command.

Run it against a regular (non-editable) install, as users have it, from the repository:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install . && /tmp/venv/bin/python bench/bench_compile.py

    python bench/bench_compile.py                 # 200, 1,000 and 10,000 generated specs
    python bench/bench_compile.py 200 1000        # other sizes
    python bench/bench_compile.py --repeat 9      # runs per figure (5 by default)
    TMPDIR=/dev/shm python bench/bench_compile.py # on tmpfs: the compile without the disk

It measures the unitgen that this interpreter imports (its path is printed first), through
the ``unitgen`` script installed beside the interpreter (``python -m unitgen`` if there is
none).  Every run is a fresh process with a cache directory of its own
(``UNITGEN_CACHE_DIR``, empty at first): the user's cache is never read or written.

* ``unitgen check`` on a copy of the repository's ``specs/`` and ``out/``, answered by the
  cache and with ``--no-cache``, each as a ratio to ``python -c pass`` of this interpreter.
  The three commands take turns, so that the machine slowing down hits them alike.
* For each size, a project of generated specs, in rounds of four runs of ``unitgen
  compile``: into an empty ``out/`` with an empty cache; again, answered by the cache;
  again with ``--no-cache`` (every spec compiled, nothing written); after one spec was
  edited (every spec compiled, one file written).

Each figure is the median of the runs, with the fastest and slowest: on a shared machine
one run can be a fifth slower than the next.  Beside the wall time, from the operating
system's account of each child: its peak memory (max RSS) and its CPU time (user + sys),
shown per spec.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import attrs

import unitgen

REPOSITORY = Path(__file__).resolve().parent.parent

PROJECT = """\
[paths]
docker = "/usr/bin/docker"

[runtime]
version = "/app-version"

[defaults.unit]
after = ["docker.service"]
requires = ["docker.service"]

[defaults.service]
user = "core"
"""

KINDS = [
    # a global Django-style web app with a secret env file
    """\
[unit]
description = "web app {i}"

[service]
restart = "always"
restart_sec = "10s"

[container]
image = "example/app{i}"
tag = "{{{{ runtime.version }}}}"
command = ["uwsgi", "--socket", "/var/run/app/{i}.sock", "--module", "app.wsgi", "--processes", "4"]
env = {{ DJANGO_SETTINGS_MODULE = "app.settings.s{i}", WORKERS = "4" }}
volumes = ["/var/run/app:/var/run/app"]

[[container.secrets]]
bucket = "config-bucket"
key = "prod/app{i}.env"

[fleet]
global = true
machine_metadata = {{ role = ["django", "web"] }}
""",
    # a templated service spread over machines, announced in etcd
    """\
[unit]
description = "worker {i}"

[container]
image = "example/worker"
tag = "v{i}"
command = ["worker", "--queue", "q{i}", "--name", "{{{{ instance }}}}"]
ports = ["{port}:8080"]

[instances]
names = ["1", "2", "3"]

[presence.etcd]
port = {port}

[fleet]
machine_metadata = {{ role = "worker{i}" }}
""",
    # a plain service placed next to another one
    """\
[unit]
description = "sidecar {i}"

[container]
image = "example/sidecar:1.{i}"
command = ["sidecar", "--target", "app{i}"]
docker_args = ["--log-driver", "journald"]

[fleet]
machine_metadata = {{ role = "side{i}" }}
""",
]

MiB = 1024 * 1024


@attrs.frozen
class Run:
    seconds: float  # wall time, from start to exit
    cpu_seconds: float  # user + sys time of the child
    peak_bytes: int  # the child's max RSS


@attrs.frozen
class Target:
    """An upper bound from issue 13."""

    limit: float
    unit: str  # "x" (times ``python -c pass``), " s" or " MiB"

    def verdict(self, value: float) -> str:
        return f"<= {self.limit:g}{self.unit} {'met' if value <= self.limit else 'MISSED'}"


# Issue 13's figures: check on the examples, then the generated projects by size.
CHECK_TARGETS = {"unitgen check (cached)": Target(3, "x"), "unitgen check --no-cache": Target(10, "x")}
FRESH_TARGETS = {200: Target(0.4, " s"), 1000: Target(0.6, " s"), 10000: Target(6, " s")}
CACHED_TARGETS = {1000: Target(0.1, " s"), 10000: Target(0.4, " s")}
PEAK_TARGET = Target(100, " MiB")


def unitgen_command() -> list[str]:
    """How a user runs this interpreter's unitgen: its installed script, else ``-m``."""
    script = Path(sysconfig.get_path("scripts")) / "unitgen"
    if script.is_file():
        return [sys.executable, str(script)]
    return [sys.executable, "-m", "unitgen"]


def run(command: list[str], cwd: Path, cache: Path) -> Run:
    """Run ``command`` to its end; stop the benchmark if it fails."""
    environment = {**os.environ, "UNITGEN_CACHE_DIR": str(cache)}
    environment.pop("UNITGEN_NO_CACHE", None)
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.DEVNULL, stderr=errors)
        # wait4 gives this one child's resource usage, not the sum over every child so far.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            message = errors.read().decode(errors="replace")[-3000:]
            sys.exit(f"{' '.join(command)} (in {cwd}) exited with {child.returncode}:\n{message}")
    # ru_maxrss is in KiB on Linux.
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024)


def peak(runs: list[Run]) -> str:
    """The largest max RSS of the runs.  Linux counts in a child's max RSS the memory of the
    process that started it (the larger of the two is kept at exec): a figure no larger
    than this benchmark's own peak only says the child used no more than that."""
    largest = max(r.peak_bytes for r in runs)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return f"{largest / MiB:.0f} MiB" if largest > own else f"<= {own / MiB:.0f} MiB"


def generate(directory: Path, count: int) -> None:
    directory.mkdir(parents=True)
    (directory / "unitgen.toml").write_text(PROJECT)
    for i in range(count):
        text = KINDS[i % len(KINDS)].format(i=i, port=10000 + i)
        (directory / f"svc{i:05d}.toml").write_text(text)


def median(runs: list[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def spread(runs: list[Run], unit: str = "s") -> list[str]:
    """Median, fastest and slowest, in seconds or in milliseconds."""
    times = [median(runs), min(r.seconds for r in runs), max(r.seconds for r in runs)]
    if unit == "ms":
        return [f"{t * 1000:.0f} ms" for t in times]
    return [f"{t:.2f} s" for t in times]


def verdict(target: Target | None, value: float) -> str:
    return "" if target is None else target.verdict(value)


def print_table(title: list[str], rows: list[list[str]]) -> None:
    """Columns as wide as their widest cell; the first to the left, the others to the right."""
    widths = [max(len(row[i]) for row in [title, *rows]) for i in range(len(title))]
    for row in [title, *rows]:
        first, *others = row
        cells = [first.ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(others, widths[1:], strict=True)]
        print("  ".join(cells).rstrip())
    print()


def bench_check(repeat: int) -> None:
    """``unitgen check`` on the examples, cached and not, against ``python -c pass``."""
    work = Path(tempfile.mkdtemp(prefix="unitgen-bench-"))
    try:
        shutil.copytree(REPOSITORY / "specs", work / "specs")
        shutil.copytree(REPOSITORY / "out", work / "out")
        cache = work / "cache"
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "unitgen check (cached)": [*unitgen_command(), "check"],
            "unitgen check --no-cache": [*unitgen_command(), "check", "--no-cache"],
        }
        for command in commands.values():  # warm up; the first check fills the cache
            run(command, work, cache)
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for _ in range(repeat):
            for name, command in commands.items():
                runs[name].append(run(command, work, cache))
    finally:
        shutil.rmtree(work)
    python = median(runs["python -c pass"])
    rows = []
    for name, measured in runs.items():
        ratio = median(measured) / python
        rows.append(
            [name, *spread(measured, "ms"), f"{ratio:.1f}x", peak(measured), verdict(CHECK_TARGETS.get(name), ratio)]
        )
    print_table(["check on the examples", "median", "fastest", "slowest", "vs python", "peak RSS", "target"], rows)


def bench_size(count: int, repeat: int) -> None:
    """A fresh compile, a cached re-run, a ``--no-cache`` re-run and one edited spec."""
    work = Path(tempfile.mkdtemp(prefix="unitgen-bench-"))
    try:
        generate(work / "specs", count)
        cache = work / "cache"
        compile_ = [*unitgen_command(), "compile", "specs", "-q"]
        edited = work / "specs" / "svc00000.toml"
        original = edited.read_text()
        runs: dict[str, list[Run]] = {
            "fresh out/": [],
            "re-run, cached": [],
            "re-run, --no-cache": [],
            "one spec edited": [],
        }
        for number in range(repeat):
            shutil.rmtree(work / "out", ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
            runs["fresh out/"].append(run(compile_, work, cache))
            runs["re-run, cached"].append(run(compile_, work, cache))
            runs["re-run, --no-cache"].append(run([*compile_, "--no-cache"], work, cache))
            edited.write_text(original.replace("web app 0", f"web app 0, edit {number}"))
            runs["one spec edited"].append(run(compile_, work, cache))
        units = sum(1 for path in (work / "out").rglob("*") if path.is_file())
    finally:
        shutil.rmtree(work)
    targets = {"fresh out/": FRESH_TARGETS.get(count), "re-run, cached": CACHED_TARGETS.get(count)}
    rows = []
    for name, measured in runs.items():
        cpu_ms_per_spec = statistics.median(r.cpu_seconds for r in measured) * 1000 / count
        time_verdict = verdict(targets.get(name), median(measured))
        memory_verdict = PEAK_TARGET.verdict(max(r.peak_bytes for r in measured) / MiB)
        rows.append([name, *spread(measured), f"{cpu_ms_per_spec:.3f}", peak(measured), time_verdict, memory_verdict])
    title = [
        f"{count:,} specs ({units:,} units)",
        "median",
        "fastest",
        "slowest",
        "CPU ms/spec",
        "peak RSS",
        "time target",
        "memory target",
    ]
    print_table(title, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[200, 1000, 10000], help="numbers of generated specs")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (default: 5)")
    arguments = parser.parse_args()
    print(f"unitgen {unitgen.__version__} from {Path(unitgen.__file__).parent}")
    print(f"Python {sys.version.split()[0]} ({sys.executable}), {os.cpu_count()} cores, in {tempfile.gettempdir()}")
    print(f"median, fastest and slowest of {arguments.repeat} runs\n")
    bench_check(arguments.repeat)
    for count in arguments.sizes:
        bench_size(count, arguments.repeat)


if __name__ == "__main__":
    main()
