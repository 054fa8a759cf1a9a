"""The deploy units of a spec with ``[deploy]``: an updater and a keeper beside the service.

Each runs a fixed POSIX sh script (``scripts/updater.sh``, ``scripts/keeper.sh``) as
``/bin/sh -c LOADER NAME CHUNK… VALUE…``: the script travels as a few arguments (fleet
refuses a line of 2048 bytes, so one word could not hold it) that the loader joins and
runs, and every spec value follows as a positional argument, so none is ever parsed by a
shell.  The etcd keys they use are in docs/deploy.md; ``deploy_prefix`` is where they live,
and ``DeployPlan`` tells ``unitgen deploy`` the same.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping

import attrs

from unitgen.compile.container import environment_args
from unitgen.compile.encoding import Arg, SpecRenderer, SpecText, exec_line
from unitgen.compile.ir import Unit, UnitBuilder
from unitgen.compile.placement import add_placement
from unitgen.compile.sidekicks import placement_beside
from unitgen.diagnostics import Diagnostics
from unitgen.spec.docker_rules import names_registry_host
from unitgen.spec.model import Deploy, Project, ServiceSpec
from unitgen.spec.names import container_name, sidekick_name
from unitgen.systemd import quoting
from unitgen.systemd.quoting import QuotingError, Raw
from unitgen.systemd.unitnames import fleet_name_problem, systemd_name_problem

# Joins its first N arguments into the script and runs it with the remaining ones; the
# script's own text is unitgen's, never a spec's.
LOADER = 'n=$1; shift; s=; while [ "$n" -gt 0 ]; do s=$s$1; shift; n=$((n - 1)); done; eval "$s"'
CHUNK_BYTES = 1500  # an encoded chunk, well below fleet's 2048-byte line


@attrs.frozen
class DeployPlan:
    """Where one service's deploy lives in etcd: what ``unitgen deploy`` needs to know."""

    service: str  # the spec's name
    unit: str  # the service's unit, e.g. "web.service"
    environment: str | None
    prefix: str  # the service's deploy keys, see docs/deploy.md
    version_key: str  # the etcd key holding the version to deploy
    etcd_api: str


def deploy_prefix(environment: str | None, service: str) -> str:
    return f"/unitgen/deploy/{environment}/{service}" if environment else f"/unitgen/deploy/{service}"


def deploy_plan(spec: ServiceSpec, project: Project) -> DeployPlan | None:
    if spec.deploy is None or spec.deploy.version not in project.runtime:
        return None
    return DeployPlan(
        spec.name,
        spec.unit_name,
        spec.environment,
        deploy_prefix(spec.environment, spec.name),
        project.runtime[spec.deploy.version],
        project.etcd_api,
    )


# Installed beside this module (package data in pyproject.toml), read as plain files.
SCRIPTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scripts")


@functools.cache  # two roles; every deployed spec carries the same script
def script_chunks(role: str) -> tuple[str, ...]:
    """The role's script without comments or indentation, cut at line ends into pieces that
    each fit on a unit-file line once quoted."""
    with open(os.path.join(SCRIPTS_DIR, f"{role}.sh"), encoding="utf-8") as file:
        text = file.read()
    lines = [line.strip() for line in text.splitlines()]
    chunks: list[str] = []
    current, size = "", 2  # a chunk's text, and its length quoted (the two quotes to start)
    for line in lines:
        if not line or line.startswith("#"):
            continue
        # Quoting escapes character by character, so a chunk's quoted length is the sum of
        # its lines' (each line ends in a newline: always a quoted word).
        cost = len(quoting.exec_word(line + "\n")) - 2
        if current and size + cost > CHUNK_BYTES:
            chunks.append(current)
            current, size = "", 2
        current += line + "\n"
        size += cost
    return (*chunks, current)


def deploy_units(
    spec: ServiceSpec, project: Project, variables: Mapping[str, str], diagnostics: Diagnostics
) -> list[Unit]:
    plan = deploy_plan(spec, project)
    if plan is None or spec.deploy is None or spec.is_template:
        return []  # reported by the spec's checks
    if systemd_name_problem(spec.unit_name) or fleet_name_problem(spec.unit_name):
        return []  # the units name the service raw (After=): a refused name is reported as S210
    deploy = spec.deploy
    renderer = SpecRenderer(spec, project, variables, diagnostics)
    paths = project.paths
    common: list[Arg] = [paths.etcdctl, project.etcd_api, (Raw("%m"),), plan.prefix]
    updater_args: list[Arg] = [
        *common,
        plan.version_key,
        str(deploy.ttl),
        str(deploy.poll),
        spec.unit_name,
        paths.systemctl,
        paths.docker,
        _image_repository(spec, project),
        SpecText(container_name(spec), ("container", "name")),
        deploy.strategy,
        str(deploy.batch_size),
        str(deploy.health_timeout),
        # The deploy keys of the services whose maintenance comes first (checked to be deployed specs).
        str(len(deploy.after)),
        *(deploy_prefix(spec.environment, name) for name in deploy.after),
        str(len(deploy.health)),
        *(SpecText(word, ("deploy", "health", i)) for i, word in enumerate(deploy.health)),
    ]
    # A maintenance command gets what the service's container has; the fetched secrets are
    # in the service's runtime directory, beside the updater's.
    options = environment_args(spec, lambda file_name: (Raw("%t"), f"/unitgen/{spec.unit_name}/{file_name}"))
    for i, command in enumerate(deploy.maintenance):
        argv = [SpecText(word, ("deploy", "maintenance", i, "command", j)) for j, word in enumerate(command)]
        updater_args += [str(1 + len(options) + len(argv)), str(len(options)), *options, *argv]
    keeper_args: list[Arg] = [
        *common,
        spec.unit_name,
        paths.systemctl,
        str(deploy.poll),
        str(deploy.relaunch_limit),
        str(deploy.relaunch_backoff),
    ]
    units = []
    for role, args, what in (
        ("updater", updater_args, "Deploy updater"),
        ("keeper", keeper_args, "Maintenance mode (relaunches a failed unit)"),
    ):
        unit = _unit(renderer, spec, deploy, role, args, what)
        if unit is not None:
            units.append(unit)
    return units


def _image_repository(spec: ServiceSpec, project: Project) -> SpecText:
    """The image without its tag, as the service pulls it: the updater adds the version."""
    registry = ""
    if project.registry and not names_registry_host(spec.container.image):
        registry = project.registry.rstrip("/") + "/"
    return SpecText(spec.container.image, ("container", "image"), registry)


def _unit(
    renderer: SpecRenderer, spec: ServiceSpec, deploy: Deploy, role: str, args: list[Arg], description: str
) -> Unit | None:
    origin = renderer.origin(("deploy",))
    chunks = script_chunks(role)
    start = exec_line(
        renderer, renderer.project.paths.sh, ["-c", LOADER, f"unitgen-{role}", str(len(chunks)), *chunks, *args]
    )
    if start is None:
        return None
    out = UnitBuilder()
    try:
        words = quoting.description_words(f"{description} for {spec.name}")
    except QuotingError:  # a spec name that cannot be a description is reported as a bad name
        words = quoting.description_words(description)
    out.add("Unit", "Description", words, origin)
    out.add("Unit", "After", spec.unit_name, origin)
    out.add("Service", "Restart", "always", origin)
    out.add("Service", "RestartSec", f"{deploy.poll}s", origin)
    out.add("Service", "ExecStart", start, origin)
    add_placement(_beside(renderer, spec), out)
    return out.build(sidekick_name(spec, role) + ".service", spec.source, kind="deploy")


def _beside(renderer: SpecRenderer, spec: ServiceSpec) -> SpecRenderer:
    """A renderer for the deploy unit's placement: where the service runs."""
    beside = attrs.evolve(spec, placement=placement_beside(spec), instances=())
    return SpecRenderer(beside, renderer.project, renderer.variables, Diagnostics())
