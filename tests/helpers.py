"""Small helpers shared by the tests: write spec trees, run the real CLI, snapshot dirs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


# The start of a script that runs unitgen in a subprocess and records which modules it
# loaded (in the file UNITGEN_TEST_MODULES names), so a test can tell which path answered.
RECORD_LOADED_MODULES = """\
import json, os, sys
def record():
    with open(os.environ["UNITGEN_TEST_MODULES"], "w") as loaded:
        json.dump(sorted(sys.modules), loaded)
sys.argv = ["unitgen", *sys.argv[1:]]
"""


def write_specs(root: Path, files: dict[str, str]) -> Path:
    """Create ``root/specs`` with the given files (dedented); returns the specs dir."""
    specs = root / "specs"
    specs.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (specs / name).write_text(textwrap.dedent(text))
    return specs


def run_unitgen(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "NO_COLOR": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "unitgen", *args], cwd=cwd, capture_output=True, text=True, env=environment, timeout=120
    )


def snapshot(directory: Path) -> dict[str, bytes]:
    if not directory.exists():
        return {}
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


SIMPLE_SPEC = """\
[container]
image = "example/app"
tag = "v1"
command = ["serve", "--port", "8000"]
"""


def replay_console(commands: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Each command run by bash in ``cwd``, shown as a console session: ``$ command``, then
    what it printed (stdout and stderr together)."""
    replayed = ""
    for command in commands:
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
        )
        replayed += f"$ {command}\n{proc.stdout}"
    return replayed
