"""Run ``systemd-analyze verify`` on unit files in a hermetic stub tree, and read its findings.

This is the parse-time check behind ``unitgen compile --verify`` and ``unitgen lint --verify``
(reference ``systemd-syntax.md`` §10).  The units are verified in a root built by
``stubtree``, with ``SYSTEMD_UNIT_PATH`` unset, as
``systemd-analyze verify --man=no --generators=no --recursive-errors=yes --root=R <files>``.

Everything systemd prints on stderr becomes a ``Finding``; environment noise (§10: container
detection, ``PR_SET_MM_ARG_START``, ``$container`` of PID 1) is kept but flagged ``noise``.
A template's findings are reported under the template's name, as given.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping

import attrs

from unitgen.systemd.stubtree import StubTree, stub_tree
from unitgen.systemd.unitnames import systemd_name_problem

__all__ = [
    "AnalyzeError",
    "Finding",
    "VerifyResult",
    "find_systemd_analyze",
    "run_analyze",
    "verify_in",
    "verify_units",
]

# Messages that say something about the machine, not about the units (reference §10).
_NOISE_PATTERNS = tuple(
    re.compile(p)
    for p in (
        r"^Failed to read \$container of PID 1",
        r"^Found container virtualization",
        r"^PR_SET_MM_ARG_START failed",
        r"^Failed to determine whether we are running in a container",
        r"^Failed to detect virtualization",
        r"^SELinux enabled state cached",
    )
)


class AnalyzeError(RuntimeError):
    """systemd-analyze could not be run (missing, timed out, killed by a signal)."""


@attrs.frozen
class Finding:
    """One message systemd-analyze printed about the units.

    ``unit`` is the unit file name as given to ``verify_units`` ("" when the message names no
    unit), ``line`` the line in that file when systemd says it, ``message`` the text without
    the path/unit prefix, ``noise`` whether the message is environment noise.
    """

    unit: str
    line: int | None
    message: str
    noise: bool = False

    def format(self) -> str:
        where = self.unit
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.message}" if where else self.message


@attrs.frozen
class VerifyResult:
    """What one ``systemd-analyze verify`` run saw: its exit code, findings and raw stderr."""

    returncode: int
    findings: tuple[Finding, ...]
    raw_stderr: str

    @property
    def problems(self) -> tuple[Finding, ...]:
        """The findings that are not environment noise."""
        return tuple(f for f in self.findings if not f.noise)

    @property
    def ok(self) -> bool:
        """rc 0 and nothing but noise printed: the §10 CI criterion."""
        return self.returncode == 0 and not self.problems


def find_systemd_analyze() -> str | None:
    """Path of systemd-analyze, or None when it is not installed."""
    found = shutil.which("systemd-analyze")
    if found:
        return found
    for candidate in ("/usr/bin/systemd-analyze", "/bin/systemd-analyze"):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def _systemd_analyze() -> str:
    found = find_systemd_analyze()
    if found is None:
        raise AnalyzeError("systemd-analyze is not installed")
    return found


def verify_units(
    units: Mapping[str, str | bytes],
    *,
    executables: Iterable[str] = (),
    required_units: Iterable[str] = (),
    timeout: float = 120,
) -> VerifyResult:
    """Verify UNITS (file name → text) in one hermetic ``systemd-analyze verify`` call.

    EXECUTABLES and REQUIRED_UNITS are stubbed beside what the units need (see ``stub_tree``).
    Raises AnalyzeError when systemd-analyze is missing or does not finish in TIMEOUT seconds,
    ValueError for a name that is not a plain file name.  No units: nothing is run, an empty
    successful result is returned.
    """
    _systemd_analyze()
    with stub_tree(units, executables=executables, required_units=required_units) as tree:
        return verify_in(tree, timeout=timeout) if units else VerifyResult(0, (), "")


def verify_in(tree: StubTree, *, timeout: float = 120) -> VerifyResult:
    """Verify the units of TREE; findings name the units as they were given."""
    completed = run_analyze(tree, timeout=timeout)
    stderr = completed.stderr.decode("utf-8", "surrogateescape")
    return VerifyResult(completed.returncode, _parse_findings(stderr, tree), stderr)


def run_analyze(tree: StubTree, *, debug: bool = False, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """One ``systemd-analyze verify`` run on TREE; with DEBUG, systemd logs at debug level."""
    argv = [
        _systemd_analyze(),
        "verify",
        "--man=no",
        "--generators=no",
        "--recursive-errors=yes",
        f"--root={tree.root}",
        *tree.verified,
    ]
    try:
        completed = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=_child_env(debug),
            cwd=tree.root,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise AnalyzeError(f"systemd-analyze verify did not finish in {timeout} s") from e
    except OSError as e:
        raise AnalyzeError(f"cannot run {argv[0]}: {e}") from e
    if completed.returncode < 0:
        raise AnalyzeError(f"systemd-analyze was killed by signal {-completed.returncode}")
    return completed


def _child_env(debug: bool) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SYSTEMD_UNIT_PATH", "JOURNAL_STREAM") and not k.startswith("SYSTEMD_LOG_")
    }
    env["SYSTEMD_LOG_LEVEL"] = "debug" if debug else "info"
    env["SYSTEMD_LOG_TARGET"] = "console"
    env["SYSTEMD_LOG_COLOR"] = "0"
    env["SYSTEMD_LOG_LOCATION"] = "0"
    env["SYSTEMD_LOG_TIME"] = "0"
    env["SYSTEMD_LOG_TID"] = "0"
    env["SYSTEMD_COLORS"] = "0"
    env["SYSTEMD_PAGER"] = ""
    return env


def _parse_findings(stderr: str, tree: StubTree) -> tuple[Finding, ...]:
    file_units, rename = tree.file_units, tree.rename
    paths = sorted(file_units, key=len, reverse=True)
    findings: list[Finding] = []
    for line in stderr.split("\n"):
        if not line.strip():
            continue
        unit, lineno, message = "", None, line
        for path in paths:
            if line.startswith(path + ":"):
                m = re.match(r"(\d+): (.*)$", line[len(path) + 1 :], re.S)
                if m:
                    unit, lineno, message = file_units[path], int(m.group(1)), m.group(2)
                    break
                if line[len(path) + 1 :].startswith(" "):
                    unit, message = file_units[path], line[len(path) + 2 :]
                    break
        else:
            head, sep, rest = line.partition(": ")
            bad_setting = re.match(r"Unit (\S+) has a bad unit file setting", line)
            unprepared = re.match(r"Failed to prepare filename (.+?): ", line)
            if sep and systemd_name_problem(head) is None:
                unit, message = rename.get(head, head), rest
            elif bad_setting:
                unit = rename.get(bad_setting.group(1), bad_setting.group(1))
            elif unprepared:
                unit = file_units.get(unprepared.group(1), os.path.basename(unprepared.group(1)))
        noise = any(p.search(message) for p in _NOISE_PATTERNS)
        findings.append(Finding(unit=unit, line=lineno, message=message, noise=noise))
    return tuple(findings)
