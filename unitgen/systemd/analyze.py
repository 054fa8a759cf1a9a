"""Run ``systemd-analyze verify`` on unit files in a hermetic stub tree, and read its answer.

This is the parse-time check behind ``unitgen compile --verify`` and ``unitgen lint --verify``
(reference ``systemd-syntax.md`` §10), and the parse-time argv oracle of §11.A used by the tests.

``verify_units`` builds a fresh root ``R`` in a temporary directory:

* the given unit texts in ``R/etc/systemd/system/<name>``;
* stub units in ``R/usr/lib/systemd/system/`` for ``sysinit.target``, ``basic.target``,
  ``shutdown.target``, every name in ``required_units`` and every unit named in a
  ``Requires=``/``BindsTo=``/``Requisite=`` line of the given units that is not given itself.
  Targets and slices get ``[Unit]`` + ``DefaultDependencies=no``; other types also get the
  least their type needs to load (systemd 252 refuses a ``.service`` without ``ExecStart=``,
  a ``.socket`` without ``Listen…=``, a ``.mount``/``.swap``/``.automount`` whose path does not
  match its name);
* executable ``#!/bin/sh`` stubs at ``R/<path>`` for every path in ``executables`` and for the
  executable of every command in every ``Exec…=`` line (bare names go to ``R/usr/bin``);

then runs, with ``SYSTEMD_UNIT_PATH`` unset,
``systemd-analyze verify --man=no --generators=no --recursive-errors=yes --root=R <files>``.
A template ``foo@.service`` is verified as its instance ``foo@i.service`` (systemd loads the
missing instance file from the template beside it); its findings, command lines and
environment are reported under the template's name, as given.

Everything systemd prints on stderr becomes a ``Finding``; environment noise (§10: container
detection, ``PR_SET_MM_ARG_START``, ``$container`` of PID 1) is kept but flagged ``noise``.
With ``debug=True`` a second run with ``SYSTEMD_LOG_LEVEL=debug`` produces the unit dump on
stdout, from which the ``Command Line:`` argvs (decoded byte-exact, §11.A) and the
``Environment:`` lines are read.  Findings always come from the first, non-debug run, so
debug chatter never becomes a finding.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import attrs

__all__ = [
    "AnalyzeError",
    "DumpParseError",
    "Finding",
    "VerifyResult",
    "decode_command_line",
    "find_systemd_analyze",
    "verify_units",
]

UNIT_SUFFIXES = (
    "service",
    "socket",
    "target",
    "device",
    "mount",
    "automount",
    "swap",
    "timer",
    "path",
    "slice",
    "scope",
)
_UNIT_NAME_RE = re.compile(
    r"^(?!@)[A-Za-z0-9:_.\\@-]+\.(?:" + "|".join(UNIT_SUFFIXES) + r")$"
)
_BASE_STUBS = ("sysinit.target", "basic.target", "shutdown.target")
_STUB_SERVICE = "unitgen-verify-stub.service"
_EXEC_KEYS = frozenset(
    {
        "ExecCondition",
        "ExecStartPre",
        "ExecStart",
        "ExecStartPost",
        "ExecReload",
        "ExecStop",
        "ExecStopPre",
        "ExecStopPost",
    }
)
_STUB_HEAD = "[Unit]\nDefaultDependencies=no\n"

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


class DumpParseError(ValueError):
    """The debug dump had a ``Command Line:`` that is not in systemd 252's quoting format."""


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
    """What one ``verify_units`` call saw.

    ``returncode`` and ``raw_stderr`` are from the non-debug run, ``raw_stdout`` from the
    debug run when ``debug=True`` (else from the non-debug run, normally empty).
    ``command_lines[unit]`` lists every ``Command Line:`` argv of the unit's dump in dump
    order (ExecCondition/ExecStartPre/ExecStart/… as systemd orders them), each argv decoded
    byte-exact (``str`` with ``surrogateescape`` for invalid UTF-8): argv after unquoting,
    escapes and specifiers, before ``$`` expansion, without prefix flags; with the ``@``
    prefix the executed path is not part of it.  ``commands[unit]`` holds the same argvs
    paired with their list name (``"ExecStart"``, ...).  ``environment[unit]`` holds the raw
    ``Environment:`` lines (``NAME=value``; a value with a raw newline is cut there).
    Units that did not load have no dump, hence no entry.
    """

    returncode: int
    findings: tuple[Finding, ...]
    command_lines: dict[str, tuple[tuple[str, ...], ...]]
    environment: dict[str, tuple[str, ...]]
    raw_stdout: str
    raw_stderr: str
    commands: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = attrs.field(factory=dict)

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


# --------------------------------------------------------------------------- unit text reading


def _logical_lines(text: str) -> Iterator[str]:
    """Lines as systemd's reader joins them (§2), simplified: comments, continuation."""
    physical = re.split(r"\r\n|\r|\n|\x00", text)
    pending: str | None = None
    for raw in physical:
        stripped = raw.strip()
        if stripped[:1] in ("#", ";"):
            continue  # comment lines are dropped, also inside a continuation
        run = len(raw) - len(raw.rstrip("\\"))
        if run % 2 == 1:
            pending = (pending or "") + raw[:-1] + " "
            continue
        yield (pending or "") + raw
        pending = None
    if pending is not None:
        yield pending


def _iter_settings(text: str) -> Iterator[tuple[str, str, str]]:
    """(section, key, value) for each assignment."""
    section = ""
    for line in _logical_lines(text):
        s = line.strip()
        if not s:
            continue
        if s.startswith("[") and s.endswith("]"):
            section = s[1:-1]
            continue
        key, eq, value = s.partition("=")
        if eq:
            yield section, key.strip(), value.strip()


_WORD_SEPARATORS = " \t\n\r"


def _split_exec_words(value: str) -> list[tuple[str, str, bool]]:
    """Words of an Exec value as (raw text, unquoted text, clean).

    Quotes group (also mid-word); ``clean`` is false when the word had a backslash, whose
    meaning this simple reader does not resolve.
    """
    words: list[tuple[str, str, bool]] = []
    i, n = 0, len(value)
    while True:
        while i < n and value[i] in _WORD_SEPARATORS:
            i += 1
        if i >= n:
            return words
        start, out, clean, quote = i, [], True, ""
        while i < n:
            c = value[i]
            if quote:
                if c == quote:
                    quote = ""
                elif c == "\\":
                    clean = False
                    i += 1
                else:
                    out.append(c)
            elif c in _WORD_SEPARATORS:
                break
            elif c in "\"'":
                quote = c
            elif c == "\\":
                clean = False
                i += 1
            else:
                out.append(c)
            i += 1
        words.append((value[start:i], "".join(out), clean))


def _exec_executables(value: str) -> list[str]:
    """The executable of each command of one Exec line (only those this reader can resolve)."""
    found: list[str] = []
    first = True
    for raw, word, clean in _split_exec_words(value):
        if raw == ";":
            first = True
            continue
        if not first:
            continue
        first = False
        rest = raw.lstrip("-@:+!")  # the prefixes are the raw, unquoted start of the word
        if rest != raw:
            if not rest:
                continue
            _, word, clean = _split_exec_words(rest)[0]
        if not clean or not word:
            continue
        if re.search(r"%[A-Za-z0-9]", word.replace("%%", "")):
            continue  # a live specifier: its value is not known here
        found.append(word.replace("%%", "%"))
    return found


def _unit_name_to_path(prefix: str) -> str:
    """systemd's unit_name_to_path for the part before the suffix ("var-lib-x" → "/var/lib/x")."""
    if prefix == "-":
        return "/"

    def unescape(part: str) -> str:
        return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), part)

    return "/" + "/".join(unescape(p) for p in prefix.split("-"))


def _stub_unit_text(name: str) -> str | None:
    """Least unit file that loads cleanly as NAME, or None when no file should be written."""
    prefix, _, suffix = name.rpartition(".")
    if suffix in ("target", "slice"):
        return _STUB_HEAD
    if suffix == "service":
        return _STUB_HEAD + "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=-/bin/true\n"
    if suffix == "socket":
        return _STUB_HEAD + f"[Socket]\nListenFIFO=/run/unitgen-verify/{name}\nService={_STUB_SERVICE}\n"
    if suffix == "timer":
        return _STUB_HEAD + f"[Timer]\nOnActiveSec=1d\nUnit={_STUB_SERVICE}\n"
    if suffix == "path":
        return _STUB_HEAD + f"[Path]\nPathExists=/run/unitgen-verify\nUnit={_STUB_SERVICE}\n"
    if "@" in prefix or "%" in prefix:
        return None
    path = _unit_name_to_path(prefix)
    if suffix == "mount":
        return _STUB_HEAD + f"[Mount]\nWhat=tmpfs\nWhere={path}\n"
    if suffix == "automount":
        return _STUB_HEAD + f"[Automount]\nWhere={path}\n"
    if suffix == "swap":
        return _STUB_HEAD + f"[Swap]\nWhat={path}\n"
    return None  # device and scope units cannot come from a unit file


def _instance_of_template(name: str) -> str | None:
    """``foo@.service`` → ``foo@i.service``; None when NAME is no template."""
    prefix, dot, suffix = name.rpartition(".")
    if dot and prefix.endswith("@") and prefix.count("@") == 1:
        return f"{prefix}i.{suffix}"
    return None


def _template_of_instance(name: str) -> str | None:
    prefix, dot, suffix = name.rpartition(".")
    if not dot or "@" not in prefix:
        return None
    return prefix[: prefix.index("@") + 1] + "." + suffix


# --------------------------------------------------------------------------- dump decoding

_SIMPLE_ESCAPES = {
    ord("a"): 0x07,
    ord("b"): 0x08,
    ord("f"): 0x0C,
    ord("n"): 0x0A,
    ord("r"): 0x0D,
    ord("t"): 0x09,
    ord("v"): 0x0B,
    ord("\\"): 0x5C,
    ord('"'): 0x22,
    ord("'"): 0x27,
    ord("`"): 0x60,
    ord("$"): 0x24,
}


def decode_command_line(line: bytes) -> tuple[bytes, ...]:
    """Decode the text after ``Command Line: `` (§11.A) into argv bytes, exactly.

    Words are separated by one space; ``""`` is the empty word; a word starting with ``"``
    runs to the next unescaped ``"`` and may contain ``\\" \\\\ \\` \\$ \\' \\a \\b \\f \\n
    \\r \\t \\v`` and three-digit octal escapes; any other word is taken verbatim.
    Raises DumpParseError on anything else.
    """
    argv: list[bytes] = []
    i, n = 0, len(line)
    if n == 0:
        return ()
    while True:
        if i < n and line[i] == 0x22:  # quoted word
            out = bytearray()
            i += 1
            while True:
                if i >= n:
                    raise DumpParseError(f"unterminated quote in Command Line: {line!r}")
                c = line[i]
                if c == 0x22:
                    i += 1
                    break
                if c == 0x5C:
                    if i + 1 >= n:
                        raise DumpParseError(f"dangling backslash in Command Line: {line!r}")
                    e = line[i + 1]
                    if e in _SIMPLE_ESCAPES:
                        out.append(_SIMPLE_ESCAPES[e])
                        i += 2
                    elif 0x30 <= e <= 0x33 and re.fullmatch(rb"[0-7]{2}", line[i + 2 : i + 4]):
                        out.append(int(line[i + 1 : i + 4], 8))
                        i += 4
                    else:
                        raise DumpParseError(f"unknown escape {line[i:i+4]!r} in Command Line: {line!r}")
                else:
                    out.append(c)
                    i += 1
            argv.append(bytes(out))
        else:
            j = line.find(b" ", i)
            j = n if j < 0 else j
            word = line[i:j]
            if not word or 0x22 in word or 0x5C in word:
                raise DumpParseError(f"unexpected bare word {word!r} in Command Line: {line!r}")
            argv.append(word)
            i = j
        if i == n:
            return tuple(argv)
        if line[i] != 0x20 or i + 1 == n:
            raise DumpParseError(f"expected one space between words in Command Line: {line!r}")
        i += 1


def _decode_str(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


_UNIT_HEADER_RE = re.compile(rb"^\s*-> Unit (.+):$")
_EXEC_HEADER_RE = re.compile(rb"^\s*-> (Exec[A-Za-z]+):$")
_COMMAND_RE = re.compile(rb"^\s*Command Line: (.*)$")
_ENV_RE = re.compile(rb"^\t\tEnvironment: (.*)$")


def _parse_dump(
    stdout: bytes, rename: Mapping[str, str]
) -> tuple[
    dict[str, tuple[tuple[str, ...], ...]],
    dict[str, tuple[tuple[str, tuple[str, ...]], ...]],
    dict[str, tuple[str, ...]],
]:
    command_lines: dict[str, list[tuple[str, ...]]] = {}
    commands: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    environment: dict[str, list[str]] = {}
    unit: str | None = None
    exec_key = ""
    for line in stdout.split(b"\n"):
        m = _UNIT_HEADER_RE.match(line)
        if m:
            name = _decode_str(m.group(1))
            unit = rename.get(name, name)
            command_lines.setdefault(unit, [])
            commands.setdefault(unit, [])
            environment.setdefault(unit, [])
            exec_key = ""
            continue
        if unit is None:
            continue
        m = _EXEC_HEADER_RE.match(line)
        if m:
            exec_key = m.group(1).decode("ascii")
            continue
        m = _COMMAND_RE.match(line)
        if m:
            argv = tuple(_decode_str(w) for w in decode_command_line(m.group(1)))
            command_lines[unit].append(argv)
            commands[unit].append((exec_key, argv))
            continue
        m = _ENV_RE.match(line)
        if m:
            environment[unit].append(_decode_str(m.group(1)))
    return (
        {k: tuple(v) for k, v in command_lines.items()},
        {k: tuple(v) for k, v in commands.items()},
        {k: tuple(v) for k, v in environment.items()},
    )


# --------------------------------------------------------------------------- findings


def _parse_findings(
    stderr: str, file_units: Mapping[str, str], rename: Mapping[str, str]
) -> tuple[Finding, ...]:
    """FILE_UNITS maps each unit file path we wrote to the unit name to report."""
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
            m = re.match(r"Unit (\S+) has a bad unit file setting", line)
            m2 = re.match(r"Failed to prepare filename (.+?): ", line)
            if sep and _UNIT_NAME_RE.match(head):
                unit, message = rename.get(head, head), rest
            elif m:
                unit = rename.get(m.group(1), m.group(1))
            elif m2:
                unit = file_units.get(m2.group(1), os.path.basename(m2.group(1)))
        noise = any(p.search(message) for p in _NOISE_PATTERNS)
        findings.append(Finding(unit=unit, line=lineno, message=message, noise=noise))
    return tuple(findings)


# --------------------------------------------------------------------------- the call


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


def _write_stub_executable(root: Path, path: str) -> None:
    if not path or path.endswith("/") or "\x00" in path:
        return
    if not path.startswith("/"):
        path = "/usr/bin/" + path
    target = os.path.normpath(str(root) + path)
    if not target.startswith(str(root) + os.sep) or os.path.lexists(target):
        return
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as f:
            f.write("#!/bin/sh\n")
        os.chmod(target, 0o755)
    except OSError:
        pass  # e.g. a path component is a file: systemd will say what is wrong


def _check_name(name: str) -> None:
    if not name or "/" in name or name in (".", "..") or "\x00" in name:
        raise ValueError(f"not a unit file name: {name!r}")


def verify_units(
    units: Mapping[str, str | bytes],
    *,
    executables: Iterable[str] = (),
    required_units: Iterable[str] = (),
    debug: bool = False,
    timeout: float = 120,
) -> VerifyResult:
    """Verify UNITS (file name → text) in one hermetic ``systemd-analyze verify`` call.

    Texts may be ``str`` (written as UTF-8, lone surrogates as raw bytes) or ``bytes``.
    EXECUTABLES are extra absolute paths (or bare names, put in ``/usr/bin``) to stub;
    REQUIRED_UNITS are extra unit names to stub.  With DEBUG, a second run fills
    ``command_lines``, ``commands`` and ``environment`` from the debug dump.
    Raises AnalyzeError when systemd-analyze is missing or a run does not finish in TIMEOUT
    seconds, ValueError for a name that is not a plain file name.  No units: nothing is run,
    an empty successful result is returned.
    """
    analyze = find_systemd_analyze()
    if analyze is None:
        raise AnalyzeError("systemd-analyze is not installed")
    for name in units:
        _check_name(name)
    required = list(required_units)
    for name in required:
        _check_name(name)
    if not units:
        return VerifyResult(0, (), {}, {}, "", "")

    with tempfile.TemporaryDirectory(prefix="unitgen-verify-") as tmp:
        root = Path(tmp).resolve()
        etc = root / "etc/systemd/system"
        lib = root / "usr/lib/systemd/system"
        etc.mkdir(parents=True)
        lib.mkdir(parents=True)
        (root / "usr/bin").mkdir(parents=True)

        given = set(units)
        templates = {n for n in given if _instance_of_template(n)}
        rename: dict[str, str] = {}  # name systemd reports → name given
        verify_names: list[str] = []
        file_units: dict[str, str] = {}
        stub_exes: list[str] = list(executables)
        for name in sorted(units):
            text = units[name]
            data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")
            (etc / name).write_bytes(data)
            file_units[str(etc / name)] = name
            instance = _instance_of_template(name)
            if instance is not None:
                if instance not in given:
                    rename[instance] = name
                    verify_names.append(instance)
            else:
                verify_names.append(name)
            for section, key, value in _iter_settings(_decode_str(data)):
                if key in _EXEC_KEYS:
                    stub_exes.extend(_exec_executables(value))
                elif section == "Unit" and key in ("Requires", "BindsTo", "Requisite"):
                    required.extend(value.split())

        def satisfied(dep: str) -> bool:
            template = _template_of_instance(dep)
            return dep in given or (template is not None and template in templates)

        stubs: dict[str, str] = {}
        for dep in (*_BASE_STUBS, *required):
            if dep in stubs or satisfied(dep) or "%" in dep or not _UNIT_NAME_RE.match(dep):
                continue
            text = _stub_unit_text(dep)
            if text is not None:
                stubs[dep] = text
        if any(_STUB_SERVICE in t for t in stubs.values()) and not satisfied(_STUB_SERVICE):
            stubs.setdefault(_STUB_SERVICE, _stub_unit_text(_STUB_SERVICE) or "")
        for dep, text in stubs.items():
            (lib / dep).write_text(text, encoding="utf-8")
            file_units[str(lib / dep)] = dep

        for exe in stub_exes:
            _write_stub_executable(root, exe)

        argv = [
            analyze,
            "verify",
            "--man=no",
            "--generators=no",
            "--recursive-errors=yes",
            f"--root={root}",
            *(str(etc / n) for n in dict.fromkeys(verify_names)),
        ]

        def run(debug_run: bool) -> subprocess.CompletedProcess[bytes]:
            try:
                return subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    env=_child_env(debug_run),
                    cwd=root,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as e:
                raise AnalyzeError(f"systemd-analyze verify did not finish in {timeout} s") from e
            except OSError as e:
                raise AnalyzeError(f"cannot run {analyze}: {e}") from e

        plain = run(False)
        if plain.returncode < 0:
            raise AnalyzeError(f"systemd-analyze was killed by signal {-plain.returncode}")
        stderr = _decode_str(plain.stderr)
        findings = _parse_findings(stderr, file_units, rename)
        stdout_bytes = plain.stdout
        command_lines: dict[str, tuple[tuple[str, ...], ...]] = {}
        commands: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
        environment: dict[str, tuple[str, ...]] = {}
        if debug:
            dumped = run(True)
            stdout_bytes = dumped.stdout
            command_lines, commands, environment = _parse_dump(stdout_bytes, rename)

    return VerifyResult(
        returncode=plain.returncode,
        findings=findings,
        command_lines=command_lines,
        environment=environment,
        raw_stdout=_decode_str(stdout_bytes),
        raw_stderr=stderr,
        commands=commands,
    )
