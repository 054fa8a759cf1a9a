"""Presence sidekicks, recognised and given to the service they announce.

* An etcd announcer: ``BindsTo=`` a service, ``ExecStart=`` a shell loop
  ``while true; do etcdctl set KEY %H[:PORT] --ttl TTL; sleep INTERVAL; done`` → the
  service's ``presence.etcd``.
* An ELB notifier: a container whose image is an ``elb-presence`` image, ``BindsTo=`` a
  service and given the load balancer as ``-e ELB_NAME=…`` → the service's ``presence.elb``.

The service must be among the units imported; otherwise the sidekick stays what it is (a
container spec of its own, or a unit that is not imported).
"""

from __future__ import annotations

import re
from typing import Any

from unitgen.importing import spectext
from unitgen.importing.reader import UnitSource
from unitgen.importing.shellcmd import shell_script
from unitgen.systemd.execline import parse_exec

_ANNOUNCE = re.compile(
    r"while (?:true|:) ?; ?do (?:/usr/bin/|/bin/)?etcdctl set (?P<key>\S+) (?P<value>%H(?::(?P<port>[0-9]+))?)"
    r" --ttl (?P<ttl>[0-9]+)(?: ?>/dev/null)? ?; ?sleep (?P<interval>[0-9]+) ?; ?done"
)


def bound_service(source: UnitSource) -> str | None:
    """The one unit this unit is ``BindsTo=``, or None."""
    bound = [word for e in source.entries_in("Unit") if e.key == "BindsTo" for word in e.value.split()]
    return bound[0] if len(bound) == 1 else None


def spec_of(unit: str, specs: dict[str, dict[str, Any]]) -> str | None:
    """The imported spec that compiles to ``unit`` (``web.service``, ``web@%i.service``)."""
    stem = unit.removesuffix(".service").removesuffix("@%i")
    return stem if stem in specs and "@" not in stem else None


def announcer(source: UnitSource) -> dict[str, Any] | None:
    """``presence.etcd`` of the service a unit announces, or None when it is no announcer."""
    starts = [e for e in source.entries_in("Service") if e.key == "ExecStart"]
    if len(starts) != 1:
        return None
    commands = parse_exec(starts[0].value).commands
    if len(commands) != 1:
        return None
    script = shell_script(commands[0].executable, tuple(w.text for w in commands[0].words[1:]))
    match = _ANNOUNCE.fullmatch(script.strip()) if script else None
    if match is None:
        return None
    etcd: dict[str, Any] = {"key": spectext.plain(match.group("key"))}
    if match.group("port"):
        etcd["port"] = int(match.group("port"))
    etcd["ttl"] = int(match.group("ttl"))
    etcd["interval"] = int(match.group("interval"))
    return etcd


def elb_notifier(data: dict[str, Any]) -> dict[str, Any] | None:
    """``presence.elb`` from a notifier container's spec data, or None."""
    container = data.get("container", {})
    load_balancer = container.get("env", {}).get("ELB_NAME")
    if "elb-presence" not in container.get("image", "") or not isinstance(load_balancer, str):
        return None
    image = container["image"] + (":" + container["tag"] if "tag" in container else "")
    return {"load_balancer": load_balancer, "image": image}
