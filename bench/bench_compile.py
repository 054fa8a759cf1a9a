"""Benchmark: generate N realistic specs, compile them with the real CLI, report time and memory.

    python bench/bench_compile.py            # 1,000 and 10,000 specs
    python bench/bench_compile.py 500 2000   # other sizes
    python bench/bench_compile.py --repeat 9 # more runs per figure (5 by default)
    TMPDIR=/dev/shm python bench/bench_compile.py   # on tmpfs: compile cost without the disk

Each size runs ``unitgen compile`` in a fresh process, with an empty cache directory of
its own (the user's cache is never read or written):

* fresh: into an empty ``out/``, cold cache: every spec compiled, every file written;
* re-run: nothing changed, the cache answers (what a pre-commit hook or CI sees);
* no cache: nothing changed, ``--no-cache``: every spec compiled again, nothing written;
* one edit: one spec changed since the last run: that spec parsed again (the others'
  parses come from the memo of parses), every spec converted again, one file written.

Each figure is the median of several runs (``--repeat``), with the fastest and slowest:
on a shared machine one run can be a fifth slower than the next.

Peak memory is the largest max RSS of any of these processes.  The package's bytecode is
compiled first, as an installed package's is: without it (PYTHONDONTWRITEBYTECODE=1 and an
edited tree) every run would also pay for compiling unitgen's source.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def generate(directory: Path, count: int) -> None:
    directory.mkdir(parents=True)
    (directory / "unitgen.toml").write_text(PROJECT)
    for i in range(count):
        text = KINDS[i % len(KINDS)].format(i=i, port=10000 + i)
        (directory / f"svc{i:05d}.toml").write_text(text)


def run(args: list[str], cwd: Path, cache: Path) -> tuple[float, float]:
    environment = {**os.environ, "UNITGEN_CACHE_DIR": str(cache)}
    environment.pop("UNITGEN_NO_CACHE", None)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "unitgen", *args], cwd=cwd, capture_output=True, text=True, env=environment
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"unitgen {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    # ru_maxrss of children is the largest of all children so far: the peak reported.
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return elapsed, peak_mib


def main() -> None:
    arguments = sys.argv[1:]
    repeat = 5
    if "--repeat" in arguments:
        at = arguments.index("--repeat")
        repeat = int(arguments[at + 1])
        del arguments[at : at + 2]
    sizes = [int(a) for a in arguments] or [1000, 10000]
    import compileall

    import unitgen

    compileall.compile_dir(Path(unitgen.__file__).parent, quiet=1)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, in {tempfile.gettempdir()}; median (fastest-slowest) of {repeat} runs"
    )
    for count in sizes:
        work = Path(tempfile.mkdtemp(prefix="unitgen-bench-"))
        try:
            generate(work / "specs", count)
            cache = work / "cache"
            compile_ = ["compile", "specs", "-q"]
            times: dict[str, list[float]] = {"fresh": [], "re-run": [], "no cache": [], "one edit": []}
            for _ in range(repeat):
                shutil.rmtree(work / "out", ignore_errors=True)
                shutil.rmtree(cache, ignore_errors=True)
                times["fresh"].append(run(compile_, work, cache)[0])
            units = sum(1 for _ in (work / "out").iterdir())
            for _ in range(repeat):
                times["re-run"].append(run(compile_, work, cache)[0])
            for _ in range(repeat):
                times["no cache"].append(run([*compile_, "--no-cache"], work, cache)[0])
            edited = work / "specs" / "svc00000.toml"
            original = edited.read_text()
            for number in range(repeat):  # each run finds one spec changed since the last
                edited.write_text(original.replace("web app 0", f"web app edit {number}"))
                times["one edit"].append(run(compile_, work, cache)[0])
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            shown = ", ".join(
                f"{mode} {statistics.median(t):.2f} s ({min(t):.2f}-{max(t):.2f})" for mode, t in times.items()
            )
            print(f"{count:>6} specs -> {units:>6} units: {shown}; peak RSS {peak:.0f} MiB")
        finally:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
