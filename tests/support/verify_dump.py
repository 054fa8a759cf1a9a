"""The parse-time argv oracle (reference ``systemd-syntax.md`` §11.A): systemd's own unit dump.

``verify_with_dump(units)`` verifies the units like ``unitgen.systemd.analyze.verify_units``,
then runs ``systemd-analyze verify`` a second time in the same stub tree with
``SYSTEMD_LOG_LEVEL=debug``, which dumps every loaded unit on stdout.  From the dump it reads
the ``Command Line:`` argvs (decoded byte-exact) and the ``Environment:`` lines.  Findings
always come from the first, non-debug run, so debug chatter never becomes a finding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

from unitgen.systemd.analyze import VerifyResult, run_analyze, verify_in
from unitgen.systemd.stubtree import stub_tree

Argv = tuple[str, ...]


class DumpParseError(ValueError):
    """The debug dump had a ``Command Line:`` that is not in systemd 252's quoting format."""


@attrs.frozen
class DumpedVerify(VerifyResult):
    """A verify result, plus what the debug dump showed of each unit.

    ``command_lines[unit]`` lists every ``Command Line:`` argv of the unit's dump in dump
    order (ExecCondition/ExecStartPre/ExecStart/… as systemd orders them), each argv decoded
    byte-exact (``str`` with ``surrogateescape`` for invalid UTF-8): argv after unquoting,
    escapes and specifiers, before ``$`` expansion, without prefix flags; with the ``@``
    prefix the executed path is not part of it.  ``commands[unit]`` holds the same argvs
    paired with their list name (``"ExecStart"``, ...).  ``environment[unit]`` holds the raw
    ``Environment:`` lines (``NAME=value``; a value with a raw newline is cut there).
    Units that did not load have no dump, hence no entry.
    """

    command_lines: dict[str, tuple[Argv, ...]]
    commands: dict[str, tuple[tuple[str, Argv], ...]]
    environment: dict[str, tuple[str, ...]]
    # (dependency kind, unit) pairs the unit's own file declared (``origin-file``), e.g.
    # ("After", "docker.service"), in dump order.
    dependencies: dict[str, tuple[tuple[str, str], ...]] = attrs.field(factory=dict)


def verify_with_dump(units: Mapping[str, str | bytes], *, timeout: float = 120) -> DumpedVerify:
    with stub_tree(units) as tree:
        verdict = verify_in(tree, timeout=timeout)
        dump = run_analyze(tree, debug=True, timeout=timeout).stdout
    command_lines, commands, environment, dependencies = _parse_dump(dump, tree.rename)
    return DumpedVerify(
        verdict.returncode,
        verdict.findings,
        verdict.raw_stderr,
        command_lines,
        commands,
        environment,
        dependencies,
    )


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
                        raise DumpParseError(f"unknown escape {line[i : i + 4]!r} in Command Line: {line!r}")
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
_DEPENDENCY_RE = re.compile(rb"^\t\t([A-Za-z]+): (\S+) \(([^)]*)\)$")


def _parse_dump(
    stdout: bytes, rename: Mapping[str, str]
) -> tuple[
    dict[str, tuple[Argv, ...]],
    dict[str, tuple[tuple[str, Argv], ...]],
    dict[str, tuple[str, ...]],
    dict[str, tuple[tuple[str, str], ...]],
]:
    command_lines: dict[str, list[Argv]] = {}
    dependencies: dict[str, list[tuple[str, str]]] = {}
    commands: dict[str, list[tuple[str, Argv]]] = {}
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
            dependencies.setdefault(unit, [])
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
            continue
        m = _DEPENDENCY_RE.match(line)
        if m and b"origin-file" in m.group(3).split():
            dependencies[unit].append((_decode_str(m.group(1)), _decode_str(m.group(2))))
    return (
        {k: tuple(v) for k, v in command_lines.items()},
        {k: tuple(v) for k, v in commands.items()},
        {k: tuple(v) for k, v in environment.items()},
        {k: tuple(v) for k, v in dependencies.items()},
    )
