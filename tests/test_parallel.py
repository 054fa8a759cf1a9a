"""Large spec sets are parsed and converted in forked workers: same result as serial."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write_specs

from unitgen import parallel
from unitgen.compiler import compile_specs

SPEC = """\
[container]
image = "example/app{i}:v1"
command = ["serve", "--id", "{i}", "{{{{ hostname }}}}"]
ports = ["{port}:80"]
[presence.etcd]
port = {port}
"""


def build(tmp_path: Path, count: int, broken: int | None = None) -> Path:
    files = {f"s{i:04d}.toml": SPEC.format(i=i, port=20000 + i) for i in range(count)}
    if broken is not None:
        files[f"s{broken:04d}.toml"] += 'bogus = "x"\n[fleet]\nmachine_of = ["nope"]\n'
    return write_specs(tmp_path, files)


def outcome(specs: Path) -> tuple[dict[str, str], list[str], list[str]]:
    result = compile_specs(specs)
    origins = [f"{u.path}:{d.origin.where()['key_path']}" for u in result.units for s in u.unit.sections for d in s.directives if d.origin]
    return result.files, [d.format() for d in result.diagnostics.sorted()], origins


@pytest.mark.parametrize("broken", [None, 333])
def test_parallel_and_serial_compiles_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: int | None) -> None:
    specs = build(tmp_path, 450, broken)
    assert parallel.worker_count(450) > 1 or parallel.worker_count(10**6) == 1
    in_parallel = outcome(specs)
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10**9)
    assert parallel.worker_count(450) == 1
    serial = outcome(specs)
    assert in_parallel == serial
    if broken is not None:
        assert any("s0333.toml:7:1: S100" in line for line in serial[1]), serial[1]


def test_map_chunks_keeps_order_and_reports_worker_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_ITEMS", 4)
    assert parallel.map_chunks(lambda chunk: [x * 2 for x in chunk], list(range(100))) == [x * 2 for x in range(100)]

    def failing(chunk: list[int]) -> list[int]:
        if 99 in chunk:
            raise ValueError("boom")
        return list(chunk)

    with pytest.raises(RuntimeError, match="boom"):
        parallel.map_chunks(failing, list(range(100)))
