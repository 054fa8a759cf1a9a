"""Benchmark: generate N realistic specs, compile them with the real CLI, report time and memory.

    python bench/bench_compile.py            # 1,000 and 10,000 specs
    python bench/bench_compile.py 500 2000   # other sizes
    TMPDIR=/dev/shm python bench/bench_compile.py   # on tmpfs: compile cost without the disk

Each size runs ``unitgen compile`` in a fresh process three times: into an empty ``out/``
(every file written), again (nothing changed: the cost of a re-run), and ``unitgen check``
style planning is covered by the second run.  Peak memory is the child's max RSS.
"""

from __future__ import annotations

import os
import resource
import shutil
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


def run(args: list[str], cwd: Path) -> tuple[float, float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "unitgen", *args], cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        sys.exit(f"unitgen {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    # ru_maxrss of children is the max over all children so far: report it only if it grew.
    return elapsed, max(peak_kib, before) / 1024, proc.stdout.strip().splitlines()[0] if proc.stdout else ""


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    for count in sizes:
        work = Path(tempfile.mkdtemp(prefix="unitgen-bench-"))
        try:
            generate(work / "specs", count)
            fresh, peak, line = run(["compile", "specs", "-q"], work)
            units = len(list((work / "out").iterdir()))
            again, peak2, _ = run(["compile", "specs", "-q"], work)
            print(
                f"{count:>6} specs -> {units:>6} units: compile {fresh:.2f} s (fresh out/), "
                f"{again:.2f} s (re-run, nothing changed); peak RSS {max(peak, peak2):.0f} MiB"
            )
        finally:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
