"""Large spec sets are parsed and converted in forked workers: same result as serial."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from helpers import write_specs

from unitgen import parallel
from unitgen.compile.compiler import compile_specs

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

    parent = os.getpid()

    def failing_in_workers(chunk: list[int]) -> list[int]:
        if os.getpid() != parent:
            raise ValueError("boom")
        time.sleep(0.05)  # so that a worker surely gets a batch
        return list(chunk)

    with pytest.raises(RuntimeError, match="parallel worker failed: ValueError: boom"):
        parallel.map_chunks(failing_in_workers, list(range(100)))

    def failing_here(chunk: list[int]) -> list[int]:
        if os.getpid() == parent:
            raise ValueError("boom here")
        return list(chunk)

    def unwritable_in_workers(chunk: list[int]) -> list[int]:
        if os.getpid() != parent:
            raise PermissionError(13, "Permission denied", "/out/web.service")
        time.sleep(0.05)
        return list(chunk)

    # The machine's answer is the same in any process: a file that cannot be written says
    # so as it would have in one process, not as a worker's failure.
    with pytest.raises(PermissionError) as raised:
        parallel.map_chunks(unwritable_in_workers, list(range(100)))
    assert str(raised.value) == "[Errno 13] Permission denied: '/out/web.service'"

    with pytest.raises(ValueError, match="boom here"):  # the workers are still waited for
        parallel.map_chunks(failing_here, list(range(100)))
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_map_chunks_hands_out_batches_as_processes_ask(monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow process takes fewer batches; the results still come back in item order."""
    monkeypatch.setattr(parallel, "MIN_ITEMS", 4)
    parent = os.getpid()
    seen: list[int] = []

    def slow_here(chunk: list[int]) -> list[tuple[int, int]]:
        if os.getpid() == parent:
            seen.append(len(chunk))
            time.sleep(0.05)
        return [(x, os.getpid()) for x in chunk]

    results = parallel.map_chunks(slow_here, list(range(400)))
    assert [x for x, _ in results] == list(range(400))
    by_parent = sum(1 for _, pid in results if pid == parent)
    assert by_parent < 200, by_parent  # the fast worker took most of the batches


def test_first_runs_in_the_calling_process_while_workers_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_ITEMS", 4)
    parent = os.getpid()
    ran: list[int] = []
    results = parallel.map_chunks(lambda chunk: [(x, os.getpid()) for x in chunk], list(range(300)), first=lambda: (ran.append(os.getpid()), time.sleep(0.1)))
    assert ran == [parent]
    assert [x for x, _ in results] == list(range(300))
    assert {pid for _, pid in results} - {parent}, "no batch went to a worker"


@pytest.mark.parametrize("count", [0, 1, 7, 8, 9, 450, 10_000])
@pytest.mark.parametrize("workers", [2, 3, 8])
def test_batches_cover_every_item_once_and_shrink_towards_the_end(count: int, workers: int) -> None:
    bounds = parallel.batch_bounds(count, workers)
    covered = [i for start, end in bounds for i in range(start, end)]
    assert covered == list(range(count))
    sizes = [end - start for start, end in bounds]
    assert sizes == sorted(sizes, reverse=True)
    if count:
        assert sizes[-1] <= parallel.MIN_BATCH  # the processes finish within a small batch of each other
        assert all(size >= parallel.MIN_BATCH for size in sizes[:-1])
        assert sizes[0] == max(min(count, parallel.MIN_BATCH), -(-count // (workers * parallel.BATCH_SHARE)))


PROJECT = """\
[environments.prod.vars]
replicas = "3"
[environments.stage.vars]
replicas = "1"
"""

BASE = """\
[container]
image = "example/base"
tag = "v1"
command = ["serve", "--replicas", "{{ vars.replicas }}"]
[environments.stage.container]
tag = "v1-rc"
"""

DERIVED = """\
extends = "base"
[unit]
description = "derived {i}"
{extra}
[container]
ports = ["{port}:80"]
"""


def test_environments_extends_and_passthrough_agree_with_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers resolve the specs they take themselves: with extends chains, per-environment
    overlays, passthrough directives and a cross-check error, their units and findings
    must be the parent's to the byte."""
    files = {"unitgen.toml": PROJECT, "base.toml": BASE}
    for i in range(400):
        extra = '[unit.extra]\nDocumentation = "https://example.com/{i}"'.format(i=i) if i % 5 == 0 else ""
        files[f"d{i:04d}.toml"] = DERIVED.format(i=i, port=30000 + i, extra=extra)
    files["d0123.toml"] += '[fleet]\nmachine_of = ["nope"]\n'  # an error only the cross-checks see
    specs = write_specs(tmp_path, files)
    in_parallel = outcome(specs)
    monkeypatch.setattr(parallel, "MIN_ITEMS", 10**9)
    serial = outcome(specs)
    assert in_parallel == serial
    files_out, diagnostics, _ = serial
    assert len(files_out) == 2 * 401 and any("S330" in line and "d0123.toml" in line for line in diagnostics), diagnostics
    assert "Documentation=https://example.com/5" in files_out["stage/d0005.service"]
    assert "example/base:v1-rc" in files_out["stage/d0007.service"] and "--replicas 1" in files_out["stage/d0007.service"]


# --- a round started early ----------------------------------------------------------------


def test_workers_started_early_work_while_the_caller_does_something_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_ITEMS", 4)
    parent = os.getpid()
    began = time.monotonic()
    round_ = parallel.start(lambda chunk: [(x, os.getpid(), time.monotonic()) for x in chunk], list(range(300)))
    time.sleep(0.3)  # the caller busy with other things: the worker takes every batch meanwhile
    results = round_.finish()
    assert [x for x, _, _ in results] == list(range(300))
    assert {pid for _, pid, _ in results} != {parent}
    assert min(when for _, pid, when in results if pid != parent) - began < 0.3


def test_an_abandoned_round_leaves_no_worker_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_ITEMS", 4)
    descriptors = len(os.listdir("/proc/self/fd"))

    def forever(chunk: list[int]) -> list[int]:
        time.sleep(60)
        return list(chunk)

    round_ = parallel.start(forever, list(range(300)))
    began = time.monotonic()
    round_.abandon()
    assert time.monotonic() - began < 10  # killed, not waited for
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
    assert len(os.listdir("/proc/self/fd")) == descriptors
    round_.abandon()  # twice is harmless


def test_abandoning_a_finished_round_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_ITEMS", 4)
    round_ = parallel.start(lambda chunk: list(chunk), list(range(300)))
    assert round_.finish() == list(range(300))
    round_.abandon()
