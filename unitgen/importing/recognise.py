"""One unit file → the data of one spec, and a report of everything not turned into a key.

The idioms of fleet-era units become spec keys: the docker lifecycle (``docker kill/stop/rm``
before start, ``docker pull``, ``docker run``, ``docker stop`` on stop; ``container``),
``docker run``'s options (``dockerrun``), an image tag read at start with
``$(etcdctl get KEY)`` (``runtime``), env files fetched from S3 before start
(``container.secrets``), the [Unit]/[Service] settings the format has keys for, and every
[X-Fleet] option.  Whatever else systemd reads goes to ``unit.extra``/``service.extra``
(one I101 note each); what the format cannot carry is reported (I102), never guessed.
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from unitgen.codes import severity
from unitgen.diagnostics import Diagnostic, Location
from unitgen.importing import spectext
from unitgen.importing.dockerrun import DockerRun, NotDockerRun, parse_run
from unitgen.importing.environment import WHOLE_WORD, UnitEnvironment
from unitgen.importing.fleetlines import fleet_table
from unitgen.importing.hooks import HOOK_KEYS, NotAHook, hook_commands
from unitgen.importing.reader import UnitSource
from unitgen.importing.secrets import SecretGuard
from unitgen.importing.shellcmd import NotSimple, markers, shell_script, unwrap
from unitgen.spec.docker_rules import split_image
from unitgen.spec.passthrough import MANAGED_DIRECTIVES
from unitgen.systemd import directives
from unitgen.systemd.execline import parse_exec
from unitgen.systemd.unitfile import Entry

Data = dict[str, Any]

RELATIONS = {
    "After": "after",
    "Before": "before",
    "Requires": "requires",
    "Wants": "wants",
    "BindsTo": "binds_to",
    "PartOf": "part_of",
    "Conflicts": "conflicts",
}
SERVICE_KEYS = {
    "User": "user",
    "Restart": "restart",
    "RestartSec": "restart_sec",
    "TimeoutStartSec": "timeout_start_sec",
    "TimeoutStopSec": "timeout_stop_sec",
}
# docker's --restart policies, as the systemd Restart= that replaces them.
_RESTART_POLICY = {"always": "always", "unless-stopped": "always", "on-failure": "on-failure"}
_S3FETCH = re.compile(r"s3fetch")
_LIFECYCLE_VERBS = frozenset({"kill", "stop", "rm"})


@attrs.frozen
class Imported:
    name: str  # the spec's name: the unit's prefix
    source: UnitSource
    data: Data
    docker: str  # the docker executable the unit runs
    runtime: dict[str, str]  # runtime name -> etcd key


class NotImported(Exception):
    """A unit that is not one docker service; ``reason`` says why."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def runtime_name(key: str) -> str:
    """A runtime value's name from its etcd key: ``/djed-version`` -> ``djed_version``."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", key.strip("/")).strip("_").lower()
    return name if name and not name[0].isdigit() else "key_" + name


class Recogniser:
    def __init__(self, source: UnitSource, guard: SecretGuard) -> None:
        self.source = source
        self.guard = guard
        self.findings: list[Diagnostic] = []
        self.data: Data = {}
        self.runtime: dict[str, str] = {}
        self.docker = "/usr/bin/docker"
        self.container_name: str | None = None
        self.image: str | None = None
        self.pulls: set[str] = set()
        self.fetches: list[tuple[str, dict[str, Any], Entry, int]] = []
        self.environment = UnitEnvironment(source.entries_in("Service"))

    # reporting --------------------------------------------------------------------------

    def report(self, code: str, line: int, message: str) -> None:
        self.findings.append(Diagnostic(code, severity(code), message, Location(self.source.path, line)))

    def left_out(self, entry: Entry, why: str) -> None:
        self.report("I102", entry.line, f"{entry.key}= left out: {why}")

    def table(self, *path: str) -> Data:
        node = self.data
        for part in path:
            node = node.setdefault(part, {})
        return node

    # the unit ---------------------------------------------------------------------------

    def run(self) -> Imported:
        source = self.source
        if source.suffix != "service":
            raise NotImported(f"a .{source.suffix} unit: only services are imported")
        starts = [e for e in source.entries_in("Service") if e.key == "ExecStart"]
        if len(starts) != 1:
            raise NotImported("no single ExecStart= to import")
        self.exec_start(starts[0])
        for name, line in source.sections:
            if name == "Install":
                self.report(
                    "I104",
                    line,
                    "section [Install] left out by design: fleet starts the units, not systemd's install logic",
                )
            elif name not in ("Unit", "Service", "X-Fleet"):
                self.report("I102", line, f"section [{name}] left out: specs have no such section")
        # Environment= last: whether its values all went into commands is known only then.
        entries = sorted(source.entries, key=lambda entry: entry.key == "Environment")
        for entry in entries:
            try:
                if entry.section == "Unit":
                    self.unit_entry(entry)
                elif entry.section == "Service" and entry.key != "ExecStart":
                    self.service_entry(entry)
            except (spectext.NotSpecText, NotImported) as error:
                self.report("I103", entry.line, f"{entry.key}= not understood, left out: {error}")
        self.attach_fetches()
        if source.fleet:
            self.data["fleet"] = fleet_table(source.fleet, self.report)
        for line, why in source.unreadable:
            self.report("I103", line, f"line not understood, left out: {why}")
        if self.image not in self.pulls:
            self.table("container")["pull"] = False
        return Imported(source.prefix, source, self.data, self.docker, self.runtime)

    def unit_entry(self, entry: Entry) -> None:
        if entry.key == "Description":
            self.table("unit")["description"] = spectext.plain(entry.value)
        elif entry.key in RELATIONS:
            names = self.table("unit").setdefault(RELATIONS[entry.key], [])
            for word in entry.value.split():
                text = spectext.plain(word)
                if text not in names:
                    names.append(text)
        else:
            self.passthrough(entry, "unit")

    def service_entry(self, entry: Entry) -> None:
        key = entry.key
        if key in SERVICE_KEYS:
            self.table("service")[SERVICE_KEYS[key]] = spectext.plain(entry.value)
        elif key == "ExecStartPre":
            self.start_pre(entry)
        elif key == "ExecStop":
            self.stop(entry)
        elif key in HOOK_KEYS:
            self.hook(entry)
        elif key == "Environment" and self.environment.all_written(entry):
            self.report("I104", entry.line, "Environment= values written into the container's arguments where used")
        elif key.startswith("Exec") or key in MANAGED_DIRECTIVES:
            self.left_out(entry, "the spec format has no key for it and refuses it as a passthrough")
        else:
            self.passthrough(entry, "service")

    def passthrough(self, entry: Entry, table: str) -> None:
        section = entry.section or ""
        if not directives.is_known(section, entry.key):
            self.left_out(entry, f"systemd 252 has no [{section}] directive {entry.key}=")
            return
        if self.guard.check(entry.key, entry.value, entry.line) is not None:
            self.left_out(entry, "it holds a credential")
            return
        extra = self.table(table, "extra")
        value = spectext.plain(entry.value)
        if entry.key in extra:
            previous = extra[entry.key]
            extra[entry.key] = [*(previous if isinstance(previous, list) else [previous]), value]
        else:
            extra[entry.key] = value
        self.report("I101", entry.line, f"{entry.key}= kept as passthrough ({table}.extra.{entry.key})")

    # Exec lines ---------------------------------------------------------------------------

    def command(self, entry: Entry) -> tuple[str, str, tuple[str, ...], tuple[str, ...]] | None:
        """(flags, executable, args, etcd keys) of a one-command Exec line, unwrapping sh -c."""
        parsed = parse_exec(entry.value)
        if parsed.split_error_at is not None or len(parsed.commands) != 1:
            return None
        command = parsed.commands[0]
        args = tuple(word.text for word in command.words[1:])
        script = shell_script(command.executable, args)
        if script is None:
            return command.flags, command.executable, self.environment.expand(args), ()
        unwrapped = unwrap(script, self.environment.for_script(script))
        return command.flags, unwrapped.words[0], unwrapped.words[1:], unwrapped.etcd_keys

    def exec_start(self, entry: Entry) -> None:
        try:
            found = self.command(entry)
        except NotSimple as error:
            raise NotImported(
                f"ExecStart= runs a shell script that is not one simple command: {error}", entry.line
            ) from None
        if found is None or found[2][:1] != ("run",) or not found[1].endswith("docker"):
            raise NotImported("ExecStart= does not run 'docker run'", entry.line)
        flags, executable, args, keys = found
        if flags:
            raise NotImported(f"ExecStart= has the prefix {flags!r}, which unitgen does not write", entry.line)
        if "/" in executable:
            self.docker = executable
        else:
            self.report("I107", entry.line, f"docker run as {executable!r}: the spec uses the absolute paths.docker")
        try:
            run = parse_run(args[1:])
        except NotDockerRun as error:
            raise NotImported(f"docker run cannot be read: {error}", entry.line) from None
        self.container(run, keys, entry)

    def argument(self, word: str, keys: tuple[str, ...], line: int) -> str:
        if WHOLE_WORD.fullmatch(word):
            self.report(
                "I104",
                line,
                f"{word} as a whole word is split at blanks by systemd; the spec passes it as one word",
            )
        try:
            text = spectext.exec_argument(word)
        except spectext.NotSpecText as error:
            raise NotImported(str(error), line) from None
        for start, end, index in reversed(markers(text)):
            name = runtime_name(keys[index])
            self.runtime[name] = keys[index]
            text = text[:start] + "{{ runtime." + name + " }}" + text[end:]
        return text

    def container(self, run: DockerRun, keys: tuple[str, ...], entry: Entry) -> None:
        container = self.table("container")
        line = entry.line
        image, tag, digest = split_image(run.image)
        self.image = run.image
        container["image"] = self.argument(image, keys, line)
        if tag is not None:
            container["tag"] = self.argument(tag, keys, line)
        if digest is not None:
            container["digest"] = digest
        docker_args: list[str] = []
        for option in run.options:
            value = self.argument(option.value, keys, line) if option.value is not None else None
            if option.name == "name" and value is not None:
                self.container_name = option.value
                container["name"] = value
            elif option.name == "env" and value is not None and "=" in value:
                name, _, text = value.partition("=")
                if self.guard.check(name, text, line) is not None:
                    container.setdefault("secrets", []).append(self.guard.placeholder(self.source.prefix, name))
                    continue
                container.setdefault("env", {})[name] = text
            elif option.name == "env-file" and value is not None:
                container.setdefault("env_files", []).append(value)
            elif option.name == "volume" and value is not None:
                container.setdefault("volumes", []).append(value)
            elif option.name == "publish" and value is not None:
                container.setdefault("ports", []).append(value)
            elif option.name == "restart" and value is not None:
                policy = _RESTART_POLICY.get(value.split(":")[0])
                if policy:
                    self.table("service")["restart"] = policy
                self.report(
                    "I104", line, f"docker run --restart={value}: systemd restarts the unit instead (service.restart)"
                )
            elif option.name == "detach":
                raise NotImported("docker run -d: systemd cannot supervise a detached container", line)
            else:
                docker_args += [self.argument(word, keys, line) for word in option.words]
        if docker_args:
            container["docker_args"] = docker_args
        command = [self.argument(word, keys, line) for word in run.command]
        for i, word in enumerate(command):
            if self.guard.check(None, word, line) is not None:
                command[i] = self.guard.inline_placeholder(self.source.prefix, i)
        if command:
            container["command"] = command
        if self.container_name is None:
            self.report("I104", line, "docker run has no --name: unitgen names the container after the unit")
        elif container.get("name") == self.source.prefix:
            if self.source.is_template:  # each instance would otherwise get a name of its own
                container["name"] = "{{ prefix }}"
            else:
                del container["name"]

    def docker_words(self, entry: Entry) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
        try:
            found = self.command(entry)
        except NotSimple:
            return None
        if found is None or not found[1].endswith("docker") or not found[2]:
            return None
        return found[0], found[2], found[3]

    def start_pre(self, entry: Entry) -> None:
        found = self.docker_words(entry)
        if found is not None:
            flags, args, keys = found
            verb = args[0]
            if verb in _LIFECYCLE_VERBS and "-" in flags:
                return  # unitgen writes the stop and rm of a leftover container itself
            if verb == "pull" and len(args) == 2 and (args[1] == self.image or _S3FETCH.search(args[1])):
                self.pulls.add(args[1])
                return  # unitgen pulls the image, and the fetcher with the secrets
            if verb == "run" and self.secret_fetch(entry, args, keys, optional="-" in flags):
                return
        self.hook(entry)

    def secret_fetch(self, entry: Entry, args: tuple[str, ...], keys: tuple[str, ...], *, optional: bool) -> bool:
        """``docker run --rm -v DIR:/MOUNT FETCHER python …s3fetch.py BUCKET KEY /MOUNT/FILE``,
        remembered as (host path, secret) until the container's env files are known, with
        where it stands among the start steps."""
        try:
            run = parse_run(args[1:])
        except NotDockerRun:
            return False
        if not _S3FETCH.search(run.image) or len(run.command) < 3:
            return False
        bucket, key, dest = (self.argument(word, keys, entry.line) for word in run.command[-3:])
        for option in run.options:
            host, _, mount = (option.value or "").partition(":")
            if option.name == "volume" and mount and dest.startswith(mount.rstrip("/") + "/"):
                host_path = self.argument(host, keys, entry.line).rstrip("/") + dest[len(mount.rstrip("/")) :]
                secret: dict[str, Any] = {"bucket": bucket, "key": key}
                if optional:
                    secret["optional"] = True
                file_name = dest.rsplit("/", 1)[-1]
                if "{{" not in file_name:
                    secret["name"] = file_name
                self.fetches.append((host_path, secret, entry, len(self.data.get("hooks", {}).get("before_start", []))))
                return True
        return False

    def attach_fetches(self) -> None:
        """A fetched file the container reads with --env-file is a secret of the spec;
        a fetch the container does not read as an env file is a start step of its own."""
        container = self.table("container")
        env_files = container.get("env_files", [])
        for host_path, secret, entry, position in reversed(self.fetches):
            if host_path in env_files:
                env_files.remove(host_path)
                container.setdefault("secrets", []).append(secret)
                self.report(
                    "I104", entry.line, f"fetch of s3://{secret['bucket']}/{secret['key']} became container.secrets"
                )
            else:
                self.hook(entry, position)
        if "env_files" in container and not env_files:
            del container["env_files"]

    def stop(self, entry: Entry) -> None:
        found = self.docker_words(entry)
        if found is not None and found[1][0] in ("stop", "kill"):
            return  # unitgen stops the container itself
        self.hook(entry)

    def hook(self, entry: Entry, position: int | None = None) -> None:
        """An Exec line unitgen does not write itself, as commands of its [hooks] key
        (inserted at ``position`` of the list, or appended)."""
        try:
            commands = hook_commands(entry, self.environment)
        except NotAHook as error:
            self.left_out(entry, str(error))
            return
        for command in commands:
            argv = command["argv"] if isinstance(command, dict) else command
            if any(self.guard.check(None, word, entry.line) is not None for word in argv):
                self.left_out(entry, "it holds a credential")
                return
        key = HOOK_KEYS[entry.key]
        hooks = self.table("hooks").setdefault(key, [])
        at = len(hooks) if position is None else position
        hooks[at:at] = commands
        where = {"before_start": ", after unitgen's own start steps", "stop": ", before unitgen's docker stop"}
        self.report("I104", entry.line, f"{entry.key}= became hooks.{key}{where.get(key, '')}")
