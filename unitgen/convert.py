"""Spec model → unit IR for the service itself (sidekicks: ``sidekicks``).

The unit follows the lifecycle the team writes by hand: read runtime values from etcd,
stop and remove a leftover container (failures ignored), pull, fetch secrets, run; stop
the container on stop.  Every value goes through ``templating`` and ``quoting``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from unitgen import quoting, templating
from unitgen.diagnostics import Diagnostics
from unitgen.ir import Origin, Unit, UnitBuilder
from unitgen.model import Project, ServiceSpec
from unitgen.quoting import Part, QuotingError, Raw
from unitgen.source import KeyPath
from unitgen.templating import TemplateError

# The unit's private runtime directory: %t is /run for system units and
# $XDG_RUNTIME_DIR for user units; systemd creates it (RuntimeDirectory=) at start, owned
# by User= with mode 0700, and removes it at stop, so fetched secrets never outlive the unit.
RUNTIME_SUBDIR = "unitgen"


def runtime_parts(tail: str) -> tuple[Part, ...]:
    return (Raw("%t"), f"/{RUNTIME_SUBDIR}/", Raw("%n"), tail)


DIRECTIVE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


class SpecRenderer:
    """Renders one spec's strings into encoded words, reporting problems at their keys."""

    def __init__(self, spec: ServiceSpec, project: Project, variables: Mapping[str, str], diagnostics: Diagnostics) -> None:
        self.spec = spec
        self.project = project
        self.variables = variables
        self.diagnostics = diagnostics
        self.used_runtime: set[str] = set()

    def origin(self, path: KeyPath) -> Origin:
        return Origin(self.spec.origins, path)

    def report(self, error: QuotingError | TemplateError, path: KeyPath, code: str = "S401") -> None:
        self.diagnostics.error(code, error.message, hint=error.hint, **self.spec.origins.where(path))  # type: ignore[arg-type]

    def parts(self, text: str, path: KeyPath) -> tuple[Part, ...] | None:
        if "{" not in text:  # not a template: the text is the value
            return (text,)
        try:
            return templating.render(text, self.variables, self.project.runtime, self.used_runtime)
        except TemplateError as error:
            self.report(error, path, "S402")
            return None

    def encode(self, text: str, path: KeyPath, encoder) -> str | None:  # type: ignore[no-untyped-def]
        parts = self.parts(text, path)
        if parts is None:
            return None
        try:
            return encoder(parts)
        except QuotingError as error:
            self.report(error, path)
            return None


def image_pieces(spec: ServiceSpec, project: Project) -> list[str | tuple[str, KeyPath]]:
    """The image reference: the spec's repository, tag or digest, and the registry prefix
    where the repository names no registry host."""
    container = spec.container
    pieces: list[str | tuple[str, KeyPath]] = []
    if project.registry and not _names_registry(container.image):
        pieces.append(project.registry.rstrip("/") + "/")
    pieces.append((container.image, ("container", "image")))
    if container.digest:
        pieces += ["@", (container.digest, ("container", "digest"))]
    elif container.tag:
        pieces += [":", (container.tag, ("container", "tag"))]
    return pieces


def _names_registry(image: str) -> bool:
    first, _, rest = image.partition("/")
    return bool(rest) and ("." in first or ":" in first or first == "localhost")


def container_name(spec: ServiceSpec) -> str:
    if spec.container.name != spec.name:
        return spec.container.name
    return f"{spec.name}-{{{{ instance }}}}" if spec.is_template else spec.name


# unitgen's own words repeat in every unit: encode each once.
_executable_word = functools.lru_cache(maxsize=256)(quoting.exec_executable)


class SpecText(NamedTuple):  # not attrs: a unit has a dozen, built in every compile
    """An argument written in the spec: rendered as a template, reported at ``path``."""

    text: str
    path: KeyPath
    literal_prefix: str = ""  # unitgen's own text in front of it, e.g. "NAME=" for -e


class Fixed:
    """An argument unitgen supplies itself: literal text and Raw tokens, never a template.

    Its Exec word is encoded on first use and kept: the same few arguments ("stop",
    "--name", the runtime directory) recur in every unit.
    """

    __slots__ = ("parts", "encoded")

    def __init__(self, parts: tuple[Part, ...]) -> None:
        self.parts = parts
        self.encoded: str | None = None  # the Exec word, once ``word`` has made it

    def __repr__(self) -> str:
        return f"Fixed({self.parts!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Fixed) and other.parts == self.parts

    def __hash__(self) -> int:
        return hash(self.parts)

    def word(self) -> str:
        """The encoded Exec argument; raises QuotingError."""
        if self.encoded is None:
            self.encoded = quoting.exec_word(self.parts)
        return self.encoded


@functools.lru_cache(maxsize=1024)
def fixed(text: str) -> Fixed:
    return Fixed((text,))


@functools.lru_cache(maxsize=256)
def runtime_path(file_name: str) -> Fixed:
    return Fixed(runtime_parts("/" + file_name))


Arg = SpecText | Fixed


def exec_line(
    renderer: SpecRenderer,
    executable: str,
    args: Iterable[Arg],
    *,
    ignore_failure: bool = False,
) -> tuple[str, ...] | None:
    """The words of an Exec value; None (problems reported) when any argument fails."""
    try:
        words = [("-" if ignore_failure else "") + _executable_word(executable)]
    except QuotingError as error:
        renderer.report(error, ("paths",))
        return None
    ok = True
    for arg in args:
        if isinstance(arg, Fixed):
            if arg.encoded is not None:  # unitgen's own words recur: most are encoded already
                words.append(arg.encoded)
                continue
            try:
                words.append(arg.word())
            except QuotingError as error:
                renderer.report(error, ("container",))
                ok = False
            continue
        value: quoting.Value | None
        if not templating.is_template(arg.text):  # most arguments: the text is the value
            value = arg.literal_prefix + arg.text
        else:
            parts = renderer.parts(arg.text, arg.path)
            if parts is not None and len(parts) == 1 and isinstance(parts[0], str):
                value = arg.literal_prefix + parts[0]  # plain text takes quoting's fast path
            elif parts is not None and arg.literal_prefix:
                value = (arg.literal_prefix, *parts)
            else:
                value = parts
        word = None
        if value is not None:
            try:
                word = quoting.exec_word(value)
            except QuotingError as error:
                renderer.report(error, arg.path)
        if word is None:
            ok = False
        else:
            words.append(word)
    return tuple(words) if ok else None


class ServiceConverter:
    def __init__(self, spec: ServiceSpec, project: Project, variables: Mapping[str, str], diagnostics: Diagnostics) -> None:
        self.spec = spec
        self.project = project
        self.r = SpecRenderer(spec, project, variables, diagnostics)
        self.out = UnitBuilder()

    def add_exec(self, key: str, words: tuple[str, ...] | None, path: KeyPath) -> None:
        if words is not None:
            self.out.add("Service", key, words, self.r.origin(path))

    def convert(self) -> Unit:
        spec = self.spec
        self.unit_section()
        # Runtime values must be known before the words that use them are emitted, so the
        # service body is built first and the etcd read is inserted in front of it.
        body = UnitBuilder()
        saved, self.out = self.out, body
        self.lifecycle()
        self.out = saved
        self.service_settings()
        self.out.extend(body)
        self.service_extra()
        self.placement()
        return self.out.build(spec.unit_name, spec.source)

    # [Unit] ------------------------------------------------------------------------------

    def unit_section(self) -> None:
        spec = self.spec
        description = spec.description or f"{spec.name} container ({spec.container.image})"
        path: KeyPath = ("unit", "description")
        words = self.r.encode(description, path, quoting.description_words) if spec.description else None
        if words is None and not spec.description:
            try:
                words = quoting.description_words(description)  # type: ignore[assignment]
            except QuotingError:  # a name or image that cannot be a description: reported elsewhere
                words = ("unitgen", "container")
        if words is not None:
            self.out.add("Unit", "Description", words, self.r.origin(path))  # type: ignore[arg-type]
        for key, directive in spec.relations.DIRECTIVES:
            names = getattr(spec.relations, key)
            if names:
                self.relation(directive, names, ("unit", key))
        self.want_sidekicks()
        for name, values in spec.unit_extra:
            self.extra("Unit", name, values, ("unit", "extra", name))

    def want_sidekicks(self) -> None:
        """BindsTo= stops a sidekick with its service, but nothing would start it again
        when Restart= brings the service back: the service wants its sidekicks."""
        from unitgen.sidekicks import sidekick_names

        names = sidekick_names(self.spec)
        if self.spec.is_template:
            names = [name.replace("@.service", "@%i.service") for name in names]
        if names:
            self.out.add("Unit", "Wants", tuple(names), self.r.origin(("presence",)))

    def relation(self, directive: str, names: Sequence[str], path: KeyPath) -> None:
        words = []
        for i, name in enumerate(names):
            parts = self.r.parts(name, (*path, i))
            if parts is None:
                continue
            try:
                words.append(quoting.plain_value(unit_reference_parts(parts), directive))
            except QuotingError as error:
                self.r.report(error, (*path, i))
        if words:
            self.out.add("Unit", directive, tuple(words), self.r.origin(path))

    def extra(self, section: str, name: str, values: Sequence[str], path: KeyPath) -> None:
        if not DIRECTIVE_NAME.fullmatch(name):
            return  # validation reports it; a name like "A\n[Service]" must never reach the unit
        for i, value in enumerate(values):
            item_path = (*path, i) if len(values) > 1 else path
            word = self.r.encode(value, item_path, lambda parts: quoting.plain_value(parts, name))
            if word is not None:
                self.out.add(section, name, tuple(word.split(" ")), self.r.origin(item_path))

    # [Service] -------------------------------------------------------------------------

    def service_settings(self) -> None:
        spec = self.spec
        settings = [
            ("User", spec.user, ("service", "user")),
            ("TimeoutStartSec", spec.timeout_start_sec, ("service", "timeout_start_sec")),
            ("TimeoutStopSec", spec.timeout_stop_sec, ("service", "timeout_stop_sec")),
            ("Restart", spec.restart, ("service", "restart")),
            ("RestartSec", spec.restart_sec, ("service", "restart_sec")),
        ]
        for key, value, path in settings:
            if value is not None:
                word = self.r.encode(value, path, lambda parts, key=key: quoting.plain_value(parts, key))
                if word is not None:
                    self.out.add("Service", key, tuple(word.split(" ")), self.r.origin(path))
        if self.needs_runtime_dir():
            self.out.add("Service", "RuntimeDirectory", f"{RUNTIME_SUBDIR}/%n")
            self.out.add("Service", "RuntimeDirectoryMode", "0700")
        if self.r.used_runtime:
            self.out.add("Service", "EnvironmentFile", "-" + quoting.plain_value(runtime_path("runtime.env").parts, "EnvironmentFile"))
            self.read_runtime_values()

    def needs_runtime_dir(self) -> bool:
        return bool(self.r.used_runtime or self.spec.container.secrets)

    def service_extra(self) -> None:
        for name, values in self.spec.service_extra:
            self.extra("Service", name, values, ("service", "extra", name))

    def read_runtime_values(self) -> None:
        for name in sorted(self.r.used_runtime):
            words = runtime_read_command(self.project, name)
            self.out.add("Service", "ExecStartPre", words, self.r.origin(("runtime",)))

    # The container's lifecycle -----------------------------------------------------------

    def rendered(self, pieces: list[str | tuple[str, KeyPath]]) -> Fixed | None:
        """Spec strings rendered once (so a problem is reported once), joined with
        unitgen's own literal text, for use in several commands."""
        parts: list[Part] = []
        for piece in pieces:
            if isinstance(piece, str):
                parts.append(piece)
                continue
            rendered = self.r.parts(*piece)
            if rendered is None:
                return None
            parts.extend(rendered)
        return Fixed(tuple(parts))

    def lifecycle(self) -> None:
        spec, docker = self.spec, self.project.paths.docker
        name = self.rendered([(container_name(spec), ("container", "name"))])
        image = self.rendered(image_pieces(spec, self.project))
        if name is None or image is None:
            return
        self.add_exec("ExecStartPre", exec_line(self.r, docker, [fixed("stop"), name], ignore_failure=True), ("container", "name"))
        self.add_exec("ExecStartPre", exec_line(self.r, docker, [fixed("rm"), name], ignore_failure=True), ("container", "name"))
        if spec.container.pull:
            self.add_exec("ExecStartPre", exec_line(self.r, docker, [fixed("pull"), image]), ("container", "image"))
        self.fetch_secrets()
        self.add_exec("ExecStart", exec_line(self.r, docker, self.run_args(name, image)), ("container",))
        self.add_exec("ExecStop", exec_line(self.r, docker, [fixed("stop"), name]), ("container", "name"))

    def run_args(self, name: Fixed, image: Fixed) -> list[Arg]:
        container = self.spec.container
        args: list[Arg] = [fixed("run"), fixed("--name"), name]
        for secret in container.secrets:
            args += [fixed("--env-file"), runtime_path(secret.file_name)]
        for i, env_file in enumerate(container.env_files):
            args += [fixed("--env-file"), SpecText(env_file, ("container", "env_files", i))]
        for var in container.env:
            args += [fixed("-e"), SpecText(var.value, ("container", "env", var.name), literal_prefix=f"{var.name}=")]
        for i, volume in enumerate(container.volumes):
            args += [fixed("-v"), SpecText(volume, ("container", "volumes", i))]
        for i, port in enumerate(container.ports):
            args += [fixed("-p"), SpecText(port, ("container", "ports", i))]
        args += [SpecText(arg, ("container", "docker_args", i)) for i, arg in enumerate(container.docker_args)]
        args.append(image)
        args += [SpecText(arg, ("container", "command", i)) for i, arg in enumerate(container.command)]
        return args

    def fetch_secrets(self) -> None:
        secrets = self.spec.container.secrets
        if not secrets:
            return
        docker, project = self.project.paths.docker, self.project
        self.add_exec(
            "ExecStartPre",
            exec_line(self.r, docker, [fixed("pull"), fixed(project.fetcher_image)], ignore_failure=True),
            ("container", "secrets"),
        )
        for i, secret in enumerate(secrets):
            path: KeyPath = ("container", "secrets", i)
            args: list[Arg] = [
                fixed("run"),
                fixed("--rm"),
                fixed("-v"),
                Fixed(runtime_parts(":/secrets")),
                fixed(project.fetcher_image),
            ]
            for word in project.fetcher_command:
                if word == "{bucket}":
                    args.append(SpecText(secret.bucket, (*path, "bucket")))
                elif word == "{key}":
                    args.append(SpecText(secret.key, (*path, "key")))
                elif word == "{dest}":
                    args.append(fixed(f"/secrets/{secret.file_name}"))
                else:
                    args.append(fixed(word))
            self.add_exec("ExecStartPre", exec_line(self.r, docker, args, ignore_failure=secret.optional), path)
            if secret.optional:
                touch = exec_line(self.r, project.paths.touch, [runtime_path(secret.file_name)])
                self.add_exec("ExecStartPre", touch, path)

    # [X-Fleet] -------------------------------------------------------------------------

    def placement(self) -> None:
        spec, placement = self.spec, self.spec.placement
        fleet_words = []  # (key, literal prefix, spec text, path)
        if placement.machine_id:
            fleet_words.append(("MachineID", "", placement.machine_id, ("fleet", "machine_id")))
        if placement.global_:
            self.out.add("X-Fleet", "Global", "true", self.r.origin(("fleet", "global")))
        for key, values in placement.machine_metadata:
            for i, value in enumerate(values):
                fleet_words.append(("MachineMetadata", key + "=", value, ("fleet", "machine_metadata", key)))
        for i, name in enumerate(placement.machine_of):
            fleet_words.append(("MachineOf", "", name, ("fleet", "machine_of", i)))
        conflicts = list(placement.conflicts)
        if spec.is_template and spec.spread_instances:
            own = f"{spec.name}@*.service"
            if own not in conflicts:
                conflicts.insert(0, own)
        for i, pattern in enumerate(conflicts):
            fleet_words.append(("Conflicts", "", pattern, ("fleet", "conflicts", i)))
        for i, pattern in enumerate(placement.replaces):
            fleet_words.append(("Replaces", "", pattern, ("fleet", "replaces", i)))
        for key, prefix, text, path in fleet_words:
            word = self.r.encode(text, path, lambda parts, key=key, prefix=prefix: quoting.fleet_value(_fleet_parts(key, prefix, parts), key))
            if word is not None:
                self.out.add("X-Fleet", key, (word,), self.r.origin(path))


def unit_reference(name: str) -> str:
    """A spec name (``web``) means its unit; anything with a suffix is a unit name already."""
    return name if "." in name.rsplit("@", 1)[-1] or name.endswith("@") else f"{name}.service"


def _fleet_parts(key: str, prefix: str, parts: Sequence[Part]) -> tuple[Part, ...]:
    if key == "MachineOf":
        return unit_reference_parts(parts)
    return (prefix, *parts)


def unit_reference_parts(parts: Sequence[Part]) -> tuple[Part, ...]:
    """``unit_reference`` for a rendered value: the suffix is judged on what the template
    produced (``{{ vars.svc }}`` naming ``db`` means ``db.service``), specifiers kept."""
    if len(parts) == 1 and isinstance(parts[0], str):  # most names: one literal piece, kept one
        return (unit_reference(parts[0]),)
    text = "".join(part if isinstance(part, str) else part.text for part in parts)
    return tuple(parts) if unit_reference(text) == text else (*parts, ".service")


def runtime_read_command(project: Project, name: str) -> tuple[str, ...]:
    """An ExecStartPre that appends NAME=<etcd value> to the unit's runtime env file.

    The shell script is fixed text; the key, variable and file arrive as positional
    arguments, so no spec value is ever parsed by the shell.  A value that is not a
    plain token (as image tags and environment names are) fails the start instead of
    reaching a command line.
    """
    return _runtime_read_words(project.etcd_api, project.paths.sh, project.paths.etcdctl, project.runtime[name], name)


@functools.lru_cache(maxsize=256)  # the same words for every spec of a project
def _runtime_read_words(etcd_api: str, sh: str, etcdctl: str, key: str, name: str) -> tuple[str, ...]:
    if etcd_api == "3":
        read = 'v=$(ETCDCTL_API=3 "$1" get "$2" --print-value-only)'
    else:
        read = 'v=$("$1" get "$2")'
    script = (
        f"{read} || exit 1; "
        'case "$v" in ""|*[!A-Za-z0-9_.-]*) echo "unitgen: etcd key $2 holds no valid value: $v" >&2; exit 1;; esac; '
        'echo "$3=$v" >> "$4"'
    )
    return quoting.exec_command(
        sh, ["-c", script, "unitgen-runtime", etcdctl, key, templating.runtime_variable(name), runtime_path("runtime.env").parts]
    )
