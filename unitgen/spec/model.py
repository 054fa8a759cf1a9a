"""The typed spec model: what one service is, after defaults, extends and overlays.

Strings here are still spec text: they may hold ``{{ … }}`` templates, which are
rendered per setting during conversion (``templating``).  ``origins`` maps key paths to
where they were written, for diagnostics of every later stage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from unitgen.spec.source import Origins

Strings = tuple[str, ...]


@attrs.frozen
class Relations:
    after: Strings = ()
    before: Strings = ()
    requires: Strings = ()
    wants: Strings = ()
    binds_to: Strings = ()
    part_of: Strings = ()
    conflicts: Strings = ()

    # spec key -> systemd directive, in the order they are written
    DIRECTIVES = (
        ("requires", "Requires"),
        ("binds_to", "BindsTo"),
        ("part_of", "PartOf"),
        ("wants", "Wants"),
        ("after", "After"),
        ("before", "Before"),
        ("conflicts", "Conflicts"),
    )


@attrs.frozen
class EnvVar:
    name: str
    value: str
    declared_not_secret: bool = False


@attrs.frozen
class Secret:
    bucket: str
    key: str
    file_name: str
    optional: bool = False


@attrs.frozen
class Container:
    name: str
    image: str
    tag: str | None = None
    digest: str | None = None
    pull: bool = True
    command: Strings = ()
    env: tuple[EnvVar, ...] = ()
    env_files: Strings = ()
    volumes: Strings = ()
    ports: Strings = ()
    docker_args: Strings = ()
    secrets: tuple[Secret, ...] = ()


@attrs.frozen
class Placement:
    global_: bool = False
    machine_metadata: tuple[tuple[str, Strings], ...] = ()
    machine_of: Strings = ()
    conflicts: Strings = ()
    machine_id: str | None = None
    replaces: Strings = ()


@attrs.frozen
class ElbPresence:
    load_balancer: str
    image: str


@attrs.frozen
class EtcdPresence:
    key: str
    port: int | None
    ttl: int
    interval: int


@attrs.frozen
class Presence:
    elb: ElbPresence | None = None
    etcd: EtcdPresence | None = None


@attrs.frozen
class HostCommand:
    """One command of [hooks]: run on the host exactly as ``argv`` says."""

    argv: Strings
    ignore_failure: bool = False


@attrs.frozen
class Hooks:
    before_start: tuple[HostCommand, ...] = ()
    after_start: tuple[HostCommand, ...] = ()
    stop: tuple[HostCommand, ...] = ()
    after_stop: tuple[HostCommand, ...] = ()

    # spec key -> the Exec directive its commands go to
    DIRECTIVES = (
        ("before_start", "ExecStartPre"),
        ("after_start", "ExecStartPost"),
        ("stop", "ExecStop"),
        ("after_stop", "ExecStopPost"),
    )


@attrs.frozen
class ComposeSettings:
    only: bool = False  # a service of Compose files only (a dev database): no unit
    include: bool = True  # False: left out of this environment's Compose file


@attrs.frozen
class Deploy:
    """How the version key's changes reach the machines (docs/deploy.md)."""

    version: str = "version"  # a [runtime] name
    strategy: str = "all-at-once"
    batch_size: int = 1
    maintenance: tuple[Strings, ...] = ()
    health: Strings = ()
    health_timeout: int = 60
    ttl: int = 30
    poll: int = 5
    relaunch_limit: int = 5
    relaunch_backoff: int = 10
    after: Strings = ()  # specs whose maintenance of a version comes before this one's restarts


@attrs.frozen
class ServiceSpec:
    name: str  # unit name without suffix (and without "@" for templates)
    source: str  # spec file, as displayed
    environment: str | None
    description: str | None
    relations: Relations
    unit_extra: tuple[tuple[str, Strings], ...]
    restart: str | None
    restart_sec: str | None
    timeout_start_sec: str
    timeout_stop_sec: str | None
    user: str | None
    service_extra: tuple[tuple[str, Strings], ...]
    container: Container
    placement: Placement
    instances: Strings
    spread_instances: bool
    presence: Presence
    hooks: Hooks
    origins: Origins = attrs.field(eq=False, repr=False)
    compose: ComposeSettings = ComposeSettings()
    deploy: Deploy | None = None

    @property
    def is_template(self) -> bool:
        return bool(self.instances)

    @property
    def unit_name(self) -> str:
        return f"{self.name}@.service" if self.is_template else f"{self.name}.service"


@attrs.frozen
class Paths:
    docker: str = "/usr/bin/docker"
    etcdctl: str = "/usr/bin/etcdctl"
    sh: str = "/bin/sh"
    touch: str = "/usr/bin/touch"
    systemctl: str = "/usr/bin/systemctl"
    fleetctl: str = "fleetctl"  # runs where unitgen submit runs, not on the targets


DEFAULT_FETCHER_COMMAND = ("python", "/opt/app/s3fetch.py", "{bucket}", "{key}", "{dest}")


@attrs.frozen
class ComposeTarget:
    """``[compose.ENV]`` of the project file: the Compose file generated for an environment."""

    environment: str | None  # None in a project without environments
    file: str | None = None  # relative to the specs directory's parent
    secrets_dir: str | None = None
    pins: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class Project:
    source: str | None
    paths: Paths = Paths()
    name: str | None = None  # the project's name in the cluster (the marker of its units)
    registry: str | None = None
    etcd_api: str = "2"
    output: str = "out"
    vars: Mapping[str, str] = attrs.field(factory=dict)
    runtime: Mapping[str, str] = attrs.field(factory=dict)
    fetcher_image: str = "jcderr/s3fetch"
    fetcher_command: Strings = DEFAULT_FETCHER_COMMAND
    elb_image: str = "djedstudios/elb-presence"
    environments: tuple[str, ...] = ()
    local_environments: tuple[str, ...] = ()  # cluster = false: for Compose files only, no units
    compose: tuple[ComposeTarget, ...] = ()
    origins: Origins | None = attrs.field(default=None, eq=False, repr=False)


def directive_items(table: Mapping[str, str | Sequence[str]] | None) -> tuple[tuple[str, Strings], ...]:
    """A type-checked table of strings or lists of strings, as (name, strings) pairs."""
    if not table:
        return ()
    return tuple((name, (value,) if isinstance(value, str) else tuple(value)) for name, value in table.items())
