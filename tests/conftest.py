"""Shared test fixtures.

Tests that need something from outside the repository (``systemd-analyze``, ``../shared/``,
``pre-commit``, a C compiler, root for a throw-away systemd manager) call ``require``.
On a user's machine a missing thing skips the test with the reason; with
``UNITGEN_REQUIRE_EXTERNAL=1`` (set by ``.ci/run``) it fails instead, so CI can never
go green by skipping.
"""

from __future__ import annotations

import compileall
import os
import shutil
from pathlib import Path

import pytest

import unitgen

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "fleet-units"


def pytest_configure(config: pytest.Config) -> None:
    """Byte-compile the unitgen under test once, before any worker starts: the tests run it
    in hundreds of subprocesses, each of which would otherwise compile it from source
    where ``PYTHONDONTWRITEBYTECODE`` is set (as on CI's machine)."""
    if not hasattr(config, "workerinput"):  # the controller, or the only process
        compileall.compile_dir(Path(unitgen.__file__).parent, quiet=2)


def require(condition: object, reason: str) -> None:
    if condition:
        return
    if os.environ.get("UNITGEN_REQUIRE_EXTERNAL") == "1":
        pytest.fail(f"required in CI but missing: {reason}")
    pytest.skip(reason)


def require_tool(name: str) -> str:
    path = shutil.which(name)
    require(path, f"{name} is not installed")
    assert path is not None
    return path


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets a cache directory of its own (subprocesses inherit it): no test reads
    or writes the user's cache, and none sees what another left there."""
    directory = tmp_path_factory.mktemp("unitgen-cache")
    monkeypatch.setenv("UNITGEN_CACHE_DIR", str(directory))
    monkeypatch.delenv("UNITGEN_NO_CACHE", raising=False)
    return directory


@pytest.fixture
def systemd_analyze() -> str:
    return require_tool("systemd-analyze")


@pytest.fixture
def corpus_dir() -> Path:
    require(CORPUS.is_dir(), f"the unit corpus is not at {CORPUS}")
    return CORPUS


# Modules whose tests take longest (10,000-unit writes, clusters of systemd managers, fresh
# virtualenvs): collected first, so that pytest-xdist starts them first and no worker is
# left running one of them alone at the end.
LONG_RUNNING = ("test_faults.py", "test_deploy_cluster.py", "test_precommit.py", "test_compose.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return LONG_RUNNING.index(item.path.name) if item.path.name in LONG_RUNNING else len(LONG_RUNNING)

    items.sort(key=rank)  # stable: each module keeps its order
