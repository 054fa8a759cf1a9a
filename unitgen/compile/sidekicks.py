"""Presence sidekicks: units that live and die with a service on the same machine.

A sidekick is ``BindsTo=`` and ``After=`` its service, so systemd stops it the moment the
service stops or its main process dies, and its stop action removes the machine from the
load balancer or etcd.  The service ``Wants=`` its sidekicks, so when ``Restart=`` brings
it back they start again with it.  It lands where the service runs: ``MachineOf=`` for a scheduled
service, the same ``Global`` and ``MachineMetadata`` for a global one (fleet refuses
``Global`` with ``MachineOf``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

import attrs

from unitgen.compile.convert import ServiceConverter
from unitgen.compile.encoding import SpecRenderer, SpecText, exec_line
from unitgen.compile.ir import Unit, UnitBuilder
from unitgen.diagnostics import Diagnostics
from unitgen.spec.model import Container, EnvVar, Placement, Presence, Project, Relations, ServiceSpec
from unitgen.spec.names import sidekick_name
from unitgen.systemd import quoting
from unitgen.systemd.quoting import Part, QuotingError, Raw


def _bound_unit(spec: ServiceSpec) -> str:
    return f"{spec.name}@{{{{ instance }}}}.service" if spec.is_template else spec.unit_name


def placement_beside(spec: ServiceSpec) -> Placement:
    """Where a unit that lives with the service goes: on the same machines."""
    if spec.placement.global_:
        return Placement(global_=True, machine_metadata=spec.placement.machine_metadata)
    return Placement(machine_of=(_bound_unit(spec),))


def elb_spec(spec: ServiceSpec) -> ServiceSpec:
    """The ELB notifier as a container spec of its own, reusing the service converter."""
    elb = spec.presence.elb
    assert elb is not None
    name = sidekick_name(spec, "elb-presence")
    return attrs.evolve(
        spec,
        name=name,
        description=f"ELB presence notifier for {spec.name}",
        relations=Relations(binds_to=(_bound_unit(spec),), after=(_bound_unit(spec),)),
        unit_extra=(),
        restart=None,
        restart_sec=None,
        timeout_stop_sec=None,
        service_extra=(),
        container=Container(
            name=f"{name}-{{{{ instance }}}}" if spec.is_template else name,
            image=elb.image,
            env=(EnvVar("ELB_NAME", elb.load_balancer, declared_not_secret=True),),
            secrets=spec.container.secrets,
        ),
        placement=placement_beside(spec),
        spread_instances=False,
        presence=Presence(),
    )


def _etcd_commands(etcd_api: str) -> tuple[str, str]:
    """The shell loop that keeps a key alive in etcd, and the etcdctl command removing it."""
    if etcd_api == "3":
        refresh = (
            'if id=$("$0" lease grant "$3"); then id=${id#lease }; id=${id%% *}; '
            '"$0" put --lease="$id" "$1" "$2" >/dev/null; else false; fi'
        )
        remove = "del"
    else:
        refresh = '"$0" set "$1" "$2" --ttl "$3" >/dev/null'
        remove = "rm"
    # A failed refresh (etcd briefly away) is retried at the next interval rather than
    # ending the loop: the key only expires if etcd stays away for a whole TTL.
    refresh += ' || echo "unitgen: could not refresh $1 in etcd; retrying in $4s" >&2'
    return f'while :; do {refresh}; sleep "$4"; done', remove


def _announced_address(port: int | None) -> tuple[Part, ...]:
    """The value announced: the machine's host name, and the service's port if it has one."""
    return (Raw("%H"),) if port is None else (Raw("%H"), f":{port}")


def announce_unit(
    spec: ServiceSpec, project: Project, variables: Mapping[str, str], diagnostics: Diagnostics
) -> Unit | None:
    etcd = spec.presence.etcd
    assert etcd is not None
    renderer = SpecRenderer(spec, project, variables, diagnostics)
    out = UnitBuilder()
    name = sidekick_name(spec, "announce")
    origin = renderer.origin(("presence", "etcd"))
    bound = renderer.encode(
        _bound_unit(spec), ("presence", "etcd"), lambda parts: quoting.plain_value(parts, "BindsTo")
    )
    try:
        description = quoting.description_words(f"Announce {spec.name} in etcd")
    except QuotingError:  # a spec name that cannot be a description is reported as a bad name
        description = ("Announce", "in", "etcd")
    out.add("Unit", "Description", description, origin)
    if bound:
        out.add("Unit", "BindsTo", bound, origin)
        out.add("Unit", "After", bound, origin)
    etcdctl = project.paths.etcdctl
    if project.etcd_api == "3":
        out.add("Service", "Environment", quoting.environment_assignment("ETCDCTL_API", "3"))
    refresh_loop, remove = _etcd_commands(project.etcd_api)
    out.add("Service", "TimeoutStartSec", "0")
    out.add("Service", "Restart", "on-failure")
    out.add("Service", "RestartSec", "5s")
    key = SpecText(etcd.key, ("presence", "etcd", "key"))
    start = exec_line(
        renderer,
        project.paths.sh,
        [
            "-c",
            refresh_loop,
            etcdctl,
            key,
            _announced_address(etcd.port),
            str(etcd.ttl),
            str(etcd.interval),
        ],
    )
    stop = exec_line(renderer, etcdctl, [remove, key], ignore_failure=True)
    if start is None or stop is None:
        return None
    out.add("Service", "ExecStart", start, origin)
    out.add("Service", "ExecStop", stop, origin)
    if spec.placement.global_:  # as placement_beside places it
        out.add("X-Fleet", "Global", "true", origin)
        for meta_key, values in spec.placement.machine_metadata:
            for meta_value in values:
                with contextlib.suppress(QuotingError):  # the service's own unit reports the same value
                    out.add(
                        "X-Fleet",
                        "MachineMetadata",
                        quoting.fleet_value(f"{meta_key}={meta_value}", "MachineMetadata"),
                        origin,
                    )
    elif bound:
        out.add("X-Fleet", "MachineOf", bound, origin)
    suffix = "@.service" if spec.is_template else ".service"
    return out.build(name + suffix, spec.source, kind="sidekick")


def sidekick_units(
    spec: ServiceSpec, project: Project, variables: Mapping[str, str], diagnostics: Diagnostics
) -> list[Unit]:
    units = []
    if spec.presence.elb is not None and spec.presence.elb.load_balancer:
        unit = ServiceConverter(elb_spec(spec), project, variables, diagnostics).convert()
        units.append(attrs.evolve(unit, kind="sidekick"))
    if spec.presence.etcd is not None:
        announced = announce_unit(spec, project, variables, diagnostics)
        if announced is not None:
            units.append(announced)
    return units
