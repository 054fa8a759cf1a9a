"""The names a spec implies: the units its relations mean, its container, its sidekicks."""

from __future__ import annotations

from collections.abc import Sequence

from unitgen.spec.model import ServiceSpec
from unitgen.systemd.quoting import Part


def unit_reference(name: str) -> str:
    """A spec name (``web``) means its unit; anything with a suffix is a unit name already."""
    return name if "." in name.rsplit("@", 1)[-1] or name.endswith("@") else f"{name}.service"


def unit_reference_parts(parts: Sequence[Part]) -> tuple[Part, ...]:
    """``unit_reference`` for a rendered value: the suffix is judged on what the template
    produced (``{{ vars.svc }}`` naming ``db`` means ``db.service``), specifiers kept."""
    text = "".join(part if isinstance(part, str) else part.text for part in parts)
    return tuple(parts) if unit_reference(text) == text else (*parts, ".service")


def container_name(spec: ServiceSpec) -> str:
    """The container's name as a template: each instance of a template unit has its own."""
    if spec.container.name != spec.name:
        return spec.container.name
    return f"{spec.name}-{{{{ instance }}}}" if spec.is_template else spec.name


def sidekick_name(spec: ServiceSpec, role: str) -> str:
    return f"{spec.name}-{role}"


def sidekick_names(spec: ServiceSpec) -> list[str]:
    """The units of a spec's presence sidekicks, which the service wants."""
    suffix = "@.service" if spec.is_template else ".service"
    names = []
    if spec.presence.elb is not None:
        names.append(sidekick_name(spec, "elb-presence") + suffix)
    if spec.presence.etcd is not None:
        names.append(sidekick_name(spec, "announce") + suffix)
    return names
