"""The round trip of ``unitgen import`` over a directory of unit files, judged by systemd.

Each unit file is imported, its spec compiled, and both the original and the compiled unit
are loaded by systemd 252 (``verify_with_dump``, all units of a batch in one run).  A file
round-trips when systemd reads the same container argv, the same dependencies and fleet
reads the same [X-Fleet] options, and the import left nothing out.  What unitgen adds by
design (docs/import.md) is not compared.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from pathlib import Path

from support.verify_dump import verify_with_dump

from unitgen.compile.compiler import compile_specs
from unitgen.diagnostics import Severity
from unitgen.importing import dockerrun
from unitgen.importing.session import import_units
from unitgen.importing.shellcmd import NotSimple, shell_script, unwrap
from unitgen.systemd.execline import parse_exec
from unitgen.systemd.fleetproblems import xfleet_problems
from unitgen.systemd.fleetrules import read_lines
from unitgen.systemd.golib import go_fields
from unitgen.systemd.gounitfile import parse_go_systemd
from unitgen.systemd.unitfile import parse_systemd

_ETCD = re.compile(r"\$\((?:/usr/bin/|/bin/)?etcdctl get (/[A-Za-z0-9_./-]+)\)")
_RUNTIME = re.compile(r"\$\{UNITGEN_([A-Z0-9_]+)\}")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
RELATIONS = {"Requires", "Wants", "BindsTo", "After", "Before", "PartOf", "Conflicts"}


def in_scope(path: Path) -> bool:
    """fleet accepts the file and its ExecStart= runs docker run, directly or in one simple sh -c."""
    data = path.read_bytes()
    go = parse_go_systemd(data)
    if go.error is not None or not path.name.endswith(".service"):
        return False
    fleet = [(o.name, o.value) for o in go.options if o.section == "X-Fleet"]
    if any(p.severity is Severity.ERROR for p in xfleet_problems(fleet, path.name)):
        return False
    starts = [e for e in parse_systemd(data).entries if e.section == "Service" and e.key == "ExecStart"]
    if len(starts) != 1:
        return False
    words = docker_words(starts[0].value)
    return words is not None and words[1:2] == ["run"]


def docker_words(value: str) -> list[str] | None:
    commands = parse_exec(value).commands
    if len(commands) != 1:
        return None
    command = commands[0]
    args = tuple(w.text for w in command.words[1:])
    script = shell_script(command.executable, args)
    if script is None:
        return [command.executable, *args] if command.executable.endswith("docker") else None
    try:
        words = list(unwrap(script).words)
    except NotSimple:
        return None
    return words if words[0].endswith("docker") else None


def _systemd_expanded(argv: list[str], environment: dict[str, str]) -> list[str]:
    """What systemd runs: ``$NAME`` as a whole word split into the value's words, ``${NAME}``
    replaced by the value (``$$`` is ``$`` afterwards, so it is left for the caller)."""
    words: list[str] = []
    for word in argv:
        whole = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if whole and whole.group(1) in environment:
            words += environment[whole.group(1)].split()
            continue
        words.append(
            re.sub(
                r"\$\$|\$\{(\w+)\}",
                lambda m: environment.get(m.group(1) or "", m.group()) if m.group(1) else m.group(),
                word,
            )
        )
    return words


def container_argv(argv: Iterable[str], runtime: dict[str, str], environment: dict[str, str]) -> tuple[object, ...]:
    """The docker run line, normalised: variables of the unit's Environment= put in as systemd
    and the shell put them in, a shell's script split as the shell splits it, runtime reads
    named by their etcd key, options as a sorted multiset."""
    argv = _systemd_expanded(list(argv), environment)
    script = shell_script(argv[0], tuple(argv[1:]))
    if script is not None:
        text = _ETCD.sub(lambda m: "@etcd:" + m.group(1) + "@", script.replace("$$", "$"))
        for name, value in environment.items():  # the shell's own expansion, from the same environment
            text = re.sub(rf"\$(?:{name}\b|\{{{name}\}})", lambda _m, v=value: v, text)
        argv = shlex.split(text)
        if argv[0] == "exec":
            argv = argv[1:]
    words = [_RUNTIME.sub(lambda m: "@etcd:" + runtime[m.group(1).lower()] + "@", w) for w in argv[1:]]
    words = [_VARIABLE.sub(lambda m: "${" + m.group(1) + "}", w) for w in words]
    run = dockerrun.parse_run(tuple(words[1:]))
    options = sorted((option.name, option.value or "") for option in run.options)
    return (tuple(options), run.image, run.command)


def fleet_options(text: bytes) -> set[tuple[str, str]]:
    options = [(o.name, o.value) for o in parse_go_systemd(text).options if o.section == "X-Fleet"]
    grouped, _ = read_lines(options)
    found = set()
    for key, values in grouped.items():
        for value in values:
            for item in go_fields(value.value) if key == "Conflicts" else [value.value]:
                found.add((key, item.lower() if key == "Global" else item))
    return found


def _with_instances(path: Path) -> list[str]:
    """A template is imported with the instance files beside it."""
    if not path.name.endswith("@.service"):
        return [str(path)]
    prefix = path.name[: -len("@.service")]
    return [str(path), *(str(p) for p in sorted(path.parent.glob(f"{prefix}@?*.service")))]


def round_trip(directory: Path, tmp: Path, left_out_files: dict[str, str]) -> dict[str, str]:
    """Each in-scope file of ``directory`` that does not round-trip, with the reason; the
    files that do but had a directive left out (reported I102/I103) go to ``left_out_files``.

    Each file is imported and compiled on its own: the round trip is the file's."""
    files = sorted(p for p in directory.iterdir() if in_scope(p))
    failures: dict[str, str] = {}
    originals: dict[str, bytes] = {}
    ours: dict[str, str] = {}
    runtime: dict[str, str] = {}
    for index, path in enumerate(files):
        name = path.name
        shown = f"{directory.name}/{name}"
        result = import_units(_with_instances(path), allow_secret_placeholders=True, existing_project=None)
        specs = tmp / str(index) / "specs"
        specs.mkdir(parents=True)
        for file_name, text in result.files.items():
            (specs / file_name).write_text(text)
        secrets = [f for f in result.findings if f.code == "I201" and f.location]
        left_out = [f for f in result.findings if f.code in ("I102", "I103") and f.location]
        units = {u.name: u for u in compile_specs(specs).units} if not result.skipped else {}
        if str(path) in result.skipped:
            failures[shown] = "not imported: " + result.skipped[str(path)]
        elif name not in units:
            compiled = compile_specs(specs)
            problems = [d.code + " " + d.message for d in compiled.diagnostics if d.is_error]
            failures[shown] = "does not compile: " + (problems[0] if problems else "no unit")
        else:
            if secrets:
                left_out_files[shown] = "credential moved to a secret placeholder (I201)"
            elif left_out:
                left_out_files[shown] = ", ".join(sorted({f.message.split(" left out")[0] for f in left_out}))
            originals[name] = path.read_bytes()
            ours[name] = units[name].text
            runtime.update(compile_specs(specs).project.runtime)
    before, after = verify_with_dump(originals), verify_with_dump(ours)
    for name in originals:
        why = _difference(name, before, after, originals[name], ours[name].encode(), runtime)
        if why:
            failures[f"{directory.name}/{name}"] = why
    return failures


def _by_design(
    original: list[tuple[str, str]], ours: list[tuple[str, str]], compiled: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The options with what unitgen writes its own way taken out of both sides (docs/import.md):
    the container name it adds, a docker restart policy it turns into Restart=, and a
    credential (-e NAME=…) it moves into a secret env file (NAME.env) fetched at start."""
    if not any(name == "name" for name, _ in original):
        ours = [o for o in ours if o[0] != "name"]
    policies = {"always": "always", "unless-stopped": "always", "on-failure": "on-failure"}
    for option in [o for o in original if o[0] == "restart"]:
        if f"\nRestart={policies.get(option[1].split(':')[0], '?')}\n" in compiled:
            original.remove(option)
    for option in [o for o in ours if o[0] == "env-file" and "/unitgen/" in o[1]]:
        variable = option[1].rsplit("/", 1)[-1].removesuffix(".env")
        moved = [o for o in original if o[0] == "env" and o[1].startswith(variable + "=")]
        if moved:
            original.remove(moved[0])
            ours.remove(option)
    return original, ours


def _difference(name: str, before, after, original: bytes, ours: bytes, runtime: dict[str, str]) -> str | None:  # type: ignore[no-untyped-def]
    def start(dump) -> list[str]:  # type: ignore[no-untyped-def]
        return [list(argv) for key, argv in dump.commands.get(name, ()) if key == "ExecStart"][0]

    environment = dict(line.partition("=")[::2] for line in before.environment.get(name, ()))
    try:
        a = container_argv(start(before), runtime, environment)
        b = container_argv(start(after), runtime, {})
    except (IndexError, dockerrun.NotDockerRun) as error:
        return f"no container argv to compare: {error}"
    options_a, options_b = _by_design(list(a[0]), list(b[0]), ours.decode())  # type: ignore[call-overload]
    if options_a != options_b:
        return f"docker run options differ: {sorted(set(options_a) ^ set(options_b))}"
    if a[1:] != b[1:]:
        return f"image or command differ: {a[1:]} != {b[1:]}"
    deps_a = {d for d in before.dependencies.get(name, ()) if d[0] in RELATIONS}
    deps_b = {d for d in after.dependencies.get(name, ()) if d[0] in RELATIONS}
    if "\nRuntimeDirectory=" in ours.decode():  # systemd orders a runtime directory after the root mount
        deps_b -= {("After", "-.mount"), ("Requires", "-.mount")}
        deps_a -= {("After", "-.mount"), ("Requires", "-.mount")}
    if deps_a != deps_b:
        return f"dependencies differ: {sorted(deps_a ^ deps_b)}"
    if fleet_options(original) != fleet_options(ours):
        return f"[X-Fleet] differs: {sorted(fleet_options(original) ^ fleet_options(ours))}"
    for key in HOOK_DIRECTIVES:
        hooks_a = host_commands(before.commands.get(name, ()), key, environment)
        hooks_b = host_commands(after.commands.get(name, ()), key, {})
        if hooks_a != hooks_b:
            return f"{key}= commands differ: {hooks_a} != {hooks_b}"
    return None


HOOK_DIRECTIVES = ("ExecStartPre", "ExecStartPost", "ExecStop", "ExecStopPost")


def _lifecycle(key: str, argv: list[str]) -> bool:
    """A command of the container's lifecycle, which unitgen writes its own way (docs/import.md):
    before start the removal of a leftover container, pulls, secret fetches and runtime reads;
    on stop docker stop/kill."""
    docker = argv[0].endswith("docker")
    if key == "ExecStop":
        return docker and argv[1:2] in (["stop"], ["kill"])
    if key != "ExecStartPre":
        return False
    if docker and argv[1:2] in (["kill"], ["stop"], ["rm"], ["pull"]):
        return True
    if docker and argv[1:2] == ["run"] and any("s3fetch" in word for word in argv):
        return True
    return "unitgen-runtime" in argv or (argv[0].endswith("/touch") and any("/unitgen/" in w for w in argv))


def host_commands(
    commands: Iterable[tuple[str, tuple[str, ...]]], key: str, environment: dict[str, str]
) -> list[list[str]]:
    """The ``key`` commands systemd parsed, but the lifecycle's, as they run: variables put in
    as systemd puts them in, ``$$`` a '$'."""
    found = []
    for directive, argv in commands:
        # The import writes a variable it cannot put in as ${NAME} (docs/import.md).
        words = [
            re.sub(r"^\$([A-Za-z_][A-Za-z0-9_]*)$", r"${\1}", w) for w in _systemd_expanded(list(argv), environment)
        ]
        expanded = [word.replace("$$", "$") for word in words]
        if directive == key and not _lifecycle(key, expanded):
            found.append(expanded)
    return found


def round_trip_together(directory: Path, tmp: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The unit files of ``directory`` imported as one project (so factored into defaults
    and ``extends``) and compiled: the spec files written, and each unit that differs."""
    result = import_units([str(directory)], allow_secret_placeholders=False, existing_project=None)
    specs = tmp / "specs"
    specs.mkdir(parents=True)
    for name, text in result.files.items():
        (specs / name).write_text(text)
    compiled = compile_specs(specs)
    assert compiled.ok, [d.format() for d in compiled.diagnostics]
    units = {u.name: u.text for u in compiled.units}
    originals = {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.name in units}
    before, after = verify_with_dump(originals), verify_with_dump({n: units[n] for n in originals})
    runtime = dict(compiled.project.runtime)
    differences = {}
    for name in originals:
        why = _difference(name, before, after, originals[name], units[name].encode(), runtime)
        if why:
            differences[name] = why
    return result.files, differences
