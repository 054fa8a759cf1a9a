"""The resolved specs of one environment → a Compose document, as plain data in the
compose-spec's terms.

One service per spec; a spec with instances becomes one service per instance, named
``NAME-INSTANCE`` (not ``deploy.replicas``: replicas are copies, while each instance of a
template may differ, e.g. a port with ``{{ instance }}``).  Every string is rendered by
the one template evaluator: ``{{ vars.NAME }}`` gives its value, ``{{ runtime.NAME }}``
needs a pin (etcd is the cluster's), a systemd specifier has no meaning here but
``{{ instance }}``.  Compose interpolates ``$VAR`` in values, so each ``$`` is written
``$$``.  What only the cluster has is left out and listed (``left_out``), for the comment
at the top of the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence

import attrs

from unitgen.compile.container import image_pieces
from unitgen.compose.yaml import Node
from unitgen.diagnostics import Diagnostics
from unitgen.spec import templating
from unitgen.spec.model import Hooks, Placement, Project, ServiceSpec
from unitgen.spec.source import KeyPath
from unitgen.spec.templating import TemplateError
from unitgen.systemd.quoting import Raw
from unitgen.systemd.values import parse_sec

# systemd's Restart= → Compose's restart; the others have no equivalent there.
RESTART = {"no": "no", "always": "always", "on-failure": "on-failure"}
# Compose's service names (compose-spec: ^[a-zA-Z0-9._-]+$).
SERVICE_NAME = re.compile(r"[a-zA-Z0-9._-]+")
INSTANCE_SPECIFIERS = ("%i", "%I")

_Text = Callable[[str, KeyPath], str]  # a spec string rendered for one service


@attrs.frozen
class ComposeDocument:
    data: dict[str, Node]
    left_out: tuple[str, ...]  # one line per kind of cluster-only part, for the header


def compose_value(text: str) -> str:
    """A literal value as Compose reads it back after interpolation."""
    return text.replace("$", "$$")


class _Renderer:
    """One spec's strings for one service (one instance), problems reported at their keys."""

    def __init__(self, spec: ServiceSpec, project: Project, variables: Mapping[str, str], target: str) -> None:
        self.spec = spec
        self.project = project
        self.variables = variables
        self.target = target  # how the user pins a value: "[compose.prod] pins"
        self.runtime_names = {"${" + templating.runtime_variable(n) + "}": n for n in project.runtime}

    def text(self, value: str, path: KeyPath, instance: str | None, diagnostics: Diagnostics) -> str | None:
        where = self.spec.origins.where(path)
        try:
            parts = templating.render(value, self.variables, self.project.runtime)
        except TemplateError as error:
            diagnostics.error("S402", error.message, hint=error.hint, **where)
            return None
        pieces = []
        for part in parts:
            if not isinstance(part, Raw):
                pieces.append(part)
            elif part.text in INSTANCE_SPECIFIERS and instance is not None:
                pieces.append(instance)
            elif part.text in self.runtime_names:
                name = self.runtime_names[part.text]
                diagnostics.error(
                    "C101",
                    f"runtime value {name!r} has no pin for the Compose file "
                    f"(on the cluster it is read from etcd, {self.project.runtime[name]})",
                    hint=f'pin it with --set {name}=… or in {self.target} = {{ {name} = "…" }}',
                    **where,
                )
                return None
            else:
                diagnostics.error(
                    "C102",
                    f"{part.text} (a systemd specifier or variable) has no meaning in a Compose file",
                    hint="give this environment a literal value in an overlay ([environments.ENV.…])",
                    **where,
                )
                return None
        return "".join(pieces)


def service_names(spec: ServiceSpec) -> list[tuple[str, str | None]]:
    """The Compose services of a spec, each with its instance (None for a plain spec)."""
    if not spec.is_template:
        return [(spec.name, None)]
    return [(f"{spec.name}-{instance}", instance) for instance in spec.instances]


def _depends_on(spec: ServiceSpec, services: Mapping[str, list[str]]) -> tuple[list[str], list[str]]:
    """The services a spec's requires, binds_to and after name, and the units outside them."""
    wanted: list[str] = []
    outside: list[str] = []
    relations = spec.relations
    for name in (*relations.requires, *relations.binds_to, *relations.after):
        stem = name.removesuffix(".service")
        base, at, instance = stem.partition("@")
        if stem in services:
            wanted += services[stem]
        elif at and base in services and f"{base}-{instance}" in services[base]:
            wanted.append(f"{base}-{instance}")
        else:
            outside.append(name)
    return sorted(set(wanted)), outside


def _duration(span: str) -> str | None:
    """A systemd time span as a Compose duration (None: infinite or invalid)."""
    problem, usec = parse_sec(span)
    if problem is not None or usec >= 1 << 63:
        return None
    for unit, size in (("s", 1_000_000), ("ms", 1000)):
        if usec % size == 0:
            return f"{usec // size}{unit}"
    return f"{usec}us"


class ComposeConverter:
    """The services of one environment's specs."""

    def __init__(
        self,
        specs: Sequence[ServiceSpec],
        project: Project,
        variables: Mapping[str, str],
        secrets_dir: str | None,
        target: str,
        diagnostics: Diagnostics,
    ) -> None:
        self.specs = sorted((s for s in specs if s.compose.include), key=lambda s: s.name)
        self.project = project
        self.variables = variables
        self.secrets_dir = secrets_dir
        self.target = target
        self.diagnostics = diagnostics
        self.services: dict[str, list[str]] = {s.name: [n for n, _ in service_names(s)] for s in self.specs}
        self.left_out: dict[str, set[str]] = {}
        self.volumes: set[str] = set()

    def convert(self) -> ComposeDocument:
        services: dict[str, Node] = {}
        for spec in self.specs:
            self._note_cluster_parts(spec)
            renderer = _Renderer(spec, self.project, self.variables, self.target)
            for name, instance in service_names(spec):
                if not SERVICE_NAME.fullmatch(name) or name in services:
                    self.diagnostics.error(
                        "C106",
                        f"{name!r} cannot be a Compose service name"
                        + (" (another spec's service has it)" if name in services else ""),
                        hint="Compose service names are letters, digits, '.', '_' and '-'; rename the spec "
                        "(unit.name) or its instances",
                        **spec.origins.where(("unit", "name")),
                    )
                    continue
                services[name] = self._service(spec, renderer, instance)
        data: dict[str, Node] = {"services": services}
        if self.volumes:
            data["volumes"] = {name: {} for name in sorted(self.volumes)}
        left_out = tuple(f"{what}: {', '.join(sorted(names))}" for what, names in sorted(self.left_out.items()))
        return ComposeDocument(data, left_out)

    def _leave_out(self, what: str, names: Iterable[str]) -> None:
        self.left_out.setdefault(what, set()).update(names)

    def _note_cluster_parts(self, spec: ServiceSpec) -> None:
        if spec.placement != Placement() or spec.spread_instances and spec.is_template:
            self._leave_out("fleet placement ([fleet], instance spreading)", [spec.name])
        if spec.presence.elb is not None:
            self._leave_out("ELB presence notifier (presence.elb)", [spec.name])
        if spec.presence.etcd is not None:
            self._leave_out("etcd announcer (presence.etcd)", [spec.name])
        if spec.deploy is not None:
            self._leave_out(
                "deploy updater and keeper units ([deploy]; its health check is the healthcheck)", [spec.name]
            )
        if spec.hooks != Hooks():
            self._leave_out("host commands ([hooks]: they run beside the container, on the host)", [spec.name])
        if spec.user is not None:
            self._leave_out("service.user (the host user that runs docker, not the container's)", [spec.name])
        if spec.restart_sec is not None or spec.unit_extra or spec.service_extra:
            self._leave_out("systemd-only settings (restart_sec, unit.extra, service.extra)", [spec.name])
        if spec.relations.wants or spec.relations.part_of or spec.relations.before or spec.relations.conflicts:
            self._leave_out("relations Compose has no word for (wants, part_of, before, conflicts)", [spec.name])

    def _service(self, spec: ServiceSpec, renderer: _Renderer, instance: str | None) -> dict[str, Node]:
        def text(value: str, path: KeyPath) -> str:
            rendered = renderer.text(value, path, instance, self.diagnostics)
            return compose_value(rendered) if rendered is not None else ""

        container = spec.container
        service: dict[str, Node] = {}
        image = "".join(
            compose_value(piece) if isinstance(piece, str) else text(*piece)
            for piece in image_pieces(spec, self.project)
        )
        service["image"] = image
        if container.command:
            service["command"] = [text(arg, ("container", "command", i)) for i, arg in enumerate(container.command)]
        if container.env:
            service["environment"] = {
                var.name: text(var.value, ("container", "env", var.name)) for var in container.env
            }
        env_files = [text(path, ("container", "env_files", i)) for i, path in enumerate(container.env_files)]
        env_files += [self._secret_file(spec, i, text) for i in range(len(container.secrets))]
        if env_files:
            service["env_file"] = env_files
        if container.volumes:
            volumes = [text(v, ("container", "volumes", i)) for i, v in enumerate(container.volumes)]
            self.volumes.update(v.split(":")[0] for v in volumes if ":" in v and "/" not in v.split(":")[0])
            service["volumes"] = volumes
        if container.ports:
            service["ports"] = [text(p, ("container", "ports", i)) for i, p in enumerate(container.ports)]
        if container.docker_args:
            self.diagnostics.error(
                "C104",
                "container.docker_args has no Compose equivalent unitgen can write",
                hint="in the overlay of this environment, set [environments.ENV.container] docker_args = []",
                **spec.origins.where(("container", "docker_args")),
            )
        self._restart(spec, service)
        if spec.deploy is not None and spec.deploy.health:
            # The deploy's health gate, run in the container as the updater runs it (docker exec).
            health = [text(word, ("deploy", "health", i)) for i, word in enumerate(spec.deploy.health)]
            service["healthcheck"] = {"test": ["CMD", *health]}
        if spec.timeout_stop_sec is not None and (grace := _duration(spec.timeout_stop_sec)) is not None:
            service["stop_grace_period"] = grace
        depends_on, outside = _depends_on(spec, self.services)
        if depends_on:
            service["depends_on"] = depends_on
        if outside:
            self._leave_out("relations to units that are no service here", outside)
        return service

    def _restart(self, spec: ServiceSpec, service: dict[str, Node]) -> None:
        if spec.restart is None:
            return
        if spec.restart in RESTART:
            service["restart"] = RESTART[spec.restart]
            return
        self.diagnostics.warning(
            "C105",
            f"service.restart = {spec.restart!r} has no Compose restart policy: it is left out",
            hint="Compose has no, always, on-failure and unless-stopped; choose one in an overlay for this environment",
            **spec.origins.where(("service", "restart")),
        )

    def _secret_file(self, spec: ServiceSpec, index: int, text: _Text) -> str:
        """A secret env file: the local copy of the S3 object, never its contents."""
        secret = spec.container.secrets[index]
        path: KeyPath = ("container", "secrets", index)
        if self.secrets_dir is None:
            self.diagnostics.error(
                "C103",
                "a secret env file needs a local directory for the Compose file",
                hint=f'give --secrets-dir DIR or {self.target.replace("pins", "secrets_dir")} = "DIR": '
                "it holds a copy of each secret as DIR/BUCKET/KEY",
                **spec.origins.where(path),
            )
            return ""
        bucket, key = text(secret.bucket, (*path, "bucket")), text(secret.key, (*path, "key"))
        if any(part in ("", ".", "..") for part in f"{bucket}/{key}".split("/")):
            self.diagnostics.error(
                "C103",
                f"the secret {bucket}/{key} has no safe local path below the secrets directory",
                hint="a bucket and key of plain names separated by '/' (no '.', '..' or empty parts)",
                **spec.origins.where(path),
            )
            return ""
        return f"{compose_value(self.secrets_dir)}/{bucket}/{key}"
