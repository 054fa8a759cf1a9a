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

from unitgen.systemd import quoting
from unitgen.spec import templating
from unitgen.diagnostics import Diagnostics
from unitgen.compile.ir import Origin, Unit, UnitBuilder
from unitgen.spec.model import Project, Relations, ServiceSpec
from unitgen.systemd.quoting import Part, QuotingError, Raw
from unitgen.spec.source import KeyPath
from unitgen.spec.templating import TemplateError

# The unit's private runtime directory: %t is /run for system units and
# $XDG_RUNTIME_DIR for user units; systemd creates it (RuntimeDirectory=) at start, owned
# by User= with mode 0700, and removes it at stop, so fetched secrets never outlive the unit.
RUNTIME_SUBDIR = "unitgen"


def runtime_parts(tail: str) -> tuple[Part, ...]:
    return (Raw("%t"), f"/{RUNTIME_SUBDIR}/", Raw("%n"), tail)


DIRECTIVE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def sidekick_name(spec: ServiceSpec, role: str) -> str:
    return f"{spec.name}-{role}"


def sidekick_names(spec: ServiceSpec) -> list[str]:
    """The units of a spec's presence sidekicks (``sidekicks``, which builds them, imports
    this module: the names are here so that the service can want them)."""
    suffix = "@.service" if spec.is_template else ".service"
    names = []
    if spec.presence.elb is not None:
        names.append(sidekick_name(spec, "elb-presence") + suffix)
    if spec.presence.etcd is not None:
        names.append(sidekick_name(spec, "announce") + suffix)
    return names


class SpecRenderer:
    """Renders one spec's strings into encoded words, reporting problems at their keys."""

    def __init__(self, spec: ServiceSpec, project: Project, variables: Mapping[str, str], diagnostics: Diagnostics) -> None:
        self.spec = spec
        self.project = project
        self.variables = variables
        self.diagnostics = diagnostics
        self.origins = spec.origins
        self.runtime_keys = project.runtime
        self.used_runtime: set[str] = set()

    def origin(self, path: KeyPath) -> Origin:
        return Origin(self.origins, path)

    def report(self, error: QuotingError | TemplateError, path: KeyPath, code: str = "S401") -> None:
        self.diagnostics.error(code, error.message, hint=error.hint, **self.origins.where(path))  # type: ignore[arg-type]

    def parts(self, text: str, path: KeyPath) -> tuple[Part, ...] | None:
        if not templating.is_template(text):  # the text is the value
            return (text,)
        try:
            return templating.render(text, self.variables, self.runtime_keys, self.used_runtime)
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


@functools.lru_cache(maxsize=256)  # unitgen's own words repeat in every unit: encode each once
def _executable_word(executable: str, ignore_failure: bool) -> str:
    return ("-" if ignore_failure else "") + quoting.exec_executable(executable)


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
        words = [_executable_word(executable, ignore_failure)]
    except QuotingError as error:
        renderer.report(error, ("paths",))
        return None
    ok = True
    for arg in args:
        if isinstance(arg, Fixed):
            word = arg.encoded  # unitgen's own words recur: most are encoded already
            if word is None:
                try:
                    word = arg.word()
                except QuotingError as error:
                    renderer.report(error, ("container",))
                    ok = False
                    continue
            words.append(word)
            continue
        text = arg.text
        value: quoting.Value | None
        if not templating.is_template(text):  # most arguments: the text is the value
            value = arg.literal_prefix + text
        else:
            parts = renderer.parts(text, arg.path)
            if parts is None:
                ok = False
                continue
            if len(parts) == 1 and isinstance(parts[0], str):
                value = arg.literal_prefix + parts[0]  # plain text takes quoting's fast path
            elif arg.literal_prefix:
                value = (arg.literal_prefix, *parts)
            else:
                value = parts
        try:
            words.append(quoting.exec_word(value))
        except QuotingError as error:
            renderer.report(error, arg.path)
            ok = False
    return tuple(words) if ok else None


# Relations.DIRECTIVES with the key path of each.
_RELATIONS = tuple((key, directive, ("unit", key)) for key, directive in Relations.DIRECTIVES)

# (directive, spec attribute, key path) of the [Service] settings written as they are.
_SERVICE_SETTINGS = tuple(
    (key, attribute, ("service", attribute))
    for key, attribute in (
        ("User", "user"),
        ("TimeoutStartSec", "timeout_start_sec"),
        ("TimeoutStopSec", "timeout_stop_sec"),
        ("Restart", "restart"),
        ("RestartSec", "restart_sec"),
    )
)

_RUNTIME_ENV_FILE = "-" + quoting.plain_value(runtime_parts("/runtime.env"), "EnvironmentFile")


@functools.lru_cache(maxsize=1024)  # the same few settings and relations recur in every spec
def _plain_words(text: str, what: str) -> tuple[str, ...]:
    """A literal setting as the words of its value; raises QuotingError."""
    return tuple(quoting.plain_value(text, what).split(" "))


@functools.lru_cache(maxsize=1024)
def _unit_reference_word(name: str, directive: str) -> str:
    """A literal relation name as the unit it means; raises QuotingError."""
    return quoting.plain_value(unit_reference(name), directive)


class ServiceConverter:
    def __init__(self, spec: ServiceSpec, project: Project, variables: Mapping[str, str], diagnostics: Diagnostics) -> None:
        self.spec = spec
        self.project = project
        self.r = SpecRenderer(spec, project, variables, diagnostics)
        self.origins = spec.origins
        self.out = UnitBuilder()

    def add_exec(self, key: str, words: tuple[str, ...] | None, path: KeyPath) -> None:
        if words is not None:
            self.out.add("Service", key, words, Origin(self.origins, path))

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

    def plain_words(self, text: str, path: KeyPath, what: str) -> tuple[str, ...] | None:
        """A setting systemd reads raw, as the words of its value; None when reported."""
        try:
            if not templating.is_template(text):  # the text is the value
                return _plain_words(text, what)
            parts = self.r.parts(text, path)
            if parts is None:
                return None
            return tuple(quoting.plain_value(parts, what).split(" "))
        except QuotingError as error:
            self.r.report(error, path)
            return None

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
            self.out.add("Unit", "Description", words, Origin(self.origins, path))  # type: ignore[arg-type]
        relations = spec.relations
        for key, directive, relation_path in _RELATIONS:
            names = getattr(relations, key)
            if names:
                self.relation(directive, names, relation_path)
        self.want_sidekicks()
        for name, values in spec.unit_extra:
            self.extra("Unit", name, values, ("unit", "extra", name))

    def want_sidekicks(self) -> None:
        """BindsTo= stops a sidekick with its service, but nothing would start it again
        when Restart= brings the service back: the service wants its sidekicks."""
        names = sidekick_names(self.spec)
        if not names:
            return
        if self.spec.is_template:
            names = [name.replace("@.service", "@%i.service") for name in names]
        self.out.add("Unit", "Wants", tuple(names), Origin(self.origins, ("presence",)))

    def relation(self, directive: str, names: Sequence[str], path: KeyPath) -> None:
        words = []
        for i, name in enumerate(names):
            try:
                if not templating.is_template(name):  # the name is the value
                    words.append(_unit_reference_word(name, directive))
                    continue
                parts = self.r.parts(name, (*path, i))
                if parts is None:
                    continue
                words.append(quoting.plain_value(unit_reference_parts(parts), directive))
            except QuotingError as error:
                self.r.report(error, (*path, i))
        if words:
            self.out.add("Unit", directive, tuple(words), Origin(self.origins, path))

    def extra(self, section: str, name: str, values: Sequence[str], path: KeyPath) -> None:
        if not DIRECTIVE_NAME.fullmatch(name):
            return  # validation reports it; a name like "A\n[Service]" must never reach the unit
        for i, value in enumerate(values):
            item_path = (*path, i) if len(values) > 1 else path
            words = self.plain_words(value, item_path, name)
            if words is not None:
                self.out.add(section, name, words, Origin(self.origins, item_path))

    # [Service] -------------------------------------------------------------------------

    def service_settings(self) -> None:
        spec, out = self.spec, self.out
        for key, attribute, path in _SERVICE_SETTINGS:
            value = getattr(spec, attribute)
            if value is not None:
                words = self.plain_words(value, path, key)
                if words is not None:
                    out.add("Service", key, words, Origin(self.origins, path))
        if self.needs_runtime_dir():
            out.add("Service", "RuntimeDirectory", f"{RUNTIME_SUBDIR}/%n")
            out.add("Service", "RuntimeDirectoryMode", "0700")
        if self.r.used_runtime:
            out.add("Service", "EnvironmentFile", _RUNTIME_ENV_FILE)
            self.read_runtime_values()

    def needs_runtime_dir(self) -> bool:
        return bool(self.r.used_runtime or self.spec.container.secrets)

    def service_extra(self) -> None:
        for name, values in self.spec.service_extra:
            self.extra("Service", name, values, ("service", "extra", name))

    def read_runtime_values(self) -> None:
        for name in sorted(self.r.used_runtime):
            words = runtime_read_command(self.project, name)
            self.out.add("Service", "ExecStartPre", words, Origin(self.origins, ("runtime",)))

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
        name_parts = self.r.parts(container_name(spec), ("container", "name"))
        image = self.rendered(image_pieces(spec, self.project))
        if name_parts is None or image is None:
            return
        name = Fixed(name_parts)
        self.add_exec("ExecStartPre", exec_line(self.r, docker, (_STOP, name), ignore_failure=True), ("container", "name"))
        self.add_exec("ExecStartPre", exec_line(self.r, docker, (_RM, name), ignore_failure=True), ("container", "name"))
        if spec.container.pull:
            self.add_exec("ExecStartPre", exec_line(self.r, docker, (_PULL, image)), ("container", "image"))
        self.fetch_secrets()
        self.add_exec("ExecStart", exec_line(self.r, docker, self.run_args(name, image)), ("container",))
        self.add_exec("ExecStop", exec_line(self.r, docker, (_STOP, name)), ("container", "name"))

    def run_args(self, name: Fixed, image: Fixed) -> list[Arg]:
        container = self.spec.container
        args: list[Arg] = [_RUN, _NAME, name]
        for secret in container.secrets:
            args += [_ENV_FILE, runtime_path(secret.file_name)]
        for i, env_file in enumerate(container.env_files):
            args += [_ENV_FILE, SpecText(env_file, ("container", "env_files", i))]
        for var in container.env:
            args += [_ENV, SpecText(var.value, ("container", "env", var.name), f"{var.name}=")]
        for i, volume in enumerate(container.volumes):
            args += [_VOLUME, SpecText(volume, ("container", "volumes", i))]
        for i, port in enumerate(container.ports):
            args += [_PORT, SpecText(port, ("container", "ports", i))]
        for i, arg in enumerate(container.docker_args):
            args.append(SpecText(arg, ("container", "docker_args", i)))
        args.append(image)
        for i, arg in enumerate(container.command):
            args.append(SpecText(arg, ("container", "command", i)))
        return args

    def fetch_secrets(self) -> None:
        secrets = self.spec.container.secrets
        if not secrets:
            return
        docker, project = self.project.paths.docker, self.project
        self.add_exec(
            "ExecStartPre",
            exec_line(self.r, docker, [_PULL, fixed(project.fetcher_image)], ignore_failure=True),
            ("container", "secrets"),
        )
        for i, secret in enumerate(secrets):
            path: KeyPath = ("container", "secrets", i)
            args: list[Arg] = [_RUN, _RM_AFTER_RUN, _VOLUME, _SECRETS_VOLUME, fixed(project.fetcher_image)]
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
        if placement.global_:
            self.out.add("X-Fleet", "Global", "true", Origin(self.origins, ("fleet", "global")))
        if placement.machine_id:
            self.fleet_line("MachineID", placement.machine_id, ("fleet", "machine_id"))
        for key, values in placement.machine_metadata:
            path = ("fleet", "machine_metadata", key)
            for value in values:
                self.fleet_line("MachineMetadata", value, path, key + "=")
        for i, name in enumerate(placement.machine_of):
            self.fleet_line("MachineOf", name, ("fleet", "machine_of", i))
        conflicts = placement.conflicts
        if spec.is_template and spec.spread_instances:
            own = f"{spec.name}@*.service"
            if own not in conflicts:
                conflicts = (own, *conflicts)
        for i, pattern in enumerate(conflicts):
            self.fleet_line("Conflicts", pattern, ("fleet", "conflicts", i))
        for i, pattern in enumerate(placement.replaces):
            self.fleet_line("Replaces", pattern, ("fleet", "replaces", i))

    def fleet_line(self, key: str, text: str, path: KeyPath, prefix: str = "") -> None:
        try:
            if not templating.is_template(text):  # the text is the value
                word = _plain_fleet_word(key, text, prefix)
            else:
                parts = self.r.parts(text, path)
                if parts is None:
                    return
                word = quoting.fleet_value(_fleet_value(key, parts, prefix), key)
        except QuotingError as error:
            self.r.report(error, path)
            return
        self.out.add("X-Fleet", key, (word,), Origin(self.origins, path))


def _fleet_value(key: str, parts: tuple[Part, ...], prefix: str) -> tuple[Part, ...]:
    if key == "MachineOf":
        return unit_reference_parts(parts)
    return (prefix, *parts) if prefix else parts


@functools.lru_cache(maxsize=1024)  # the same roles and placement patterns recur in many specs
def _plain_fleet_word(key: str, text: str, prefix: str) -> str:
    """A literal [X-Fleet] value as its line's value; raises QuotingError."""
    return quoting.fleet_value(_fleet_value(key, (text,), prefix), key)


# unitgen's own arguments, their Exec words made once.
_STOP, _RM, _PULL, _RUN, _NAME, _RM_AFTER_RUN = (fixed(word) for word in ("stop", "rm", "pull", "run", "--name", "--rm"))
_ENV_FILE, _ENV, _VOLUME, _PORT = (fixed(word) for word in ("--env-file", "-e", "-v", "-p"))
_SECRETS_VOLUME = Fixed(runtime_parts(":/secrets"))


def unit_reference(name: str) -> str:
    """A spec name (``web``) means its unit; anything with a suffix is a unit name already."""
    return name if "." in name.rsplit("@", 1)[-1] or name.endswith("@") else f"{name}.service"


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
