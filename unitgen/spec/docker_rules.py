"""What docker accepts where a spec feeds ``docker run``: container names, image
references, port mappings, volumes, and the flags unitgen sets itself."""

from __future__ import annotations

import re

CONTAINER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# docker's reference grammar (distribution/reference)
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_HOST = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
IMAGE_NAME = re.compile(rf"(?:{_HOST}/)?{_COMPONENT}(?:/{_COMPONENT})*")
TAG = re.compile(r"[\w][\w.-]{0,127}")
DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
PORT = re.compile(
    r"(?:(?P<ip>[0-9.]+|\[[0-9a-fA-F:]+\]):(?=[0-9]*:))?(?:(?P<host>[0-9]+(?:-[0-9]+)?)?:)?"
    r"(?P<container>[0-9]+(?:-[0-9]+)?)(?:/(?P<proto>tcp|udp|sctp))?"
)
_PROPAGATION = {"shared", "slave", "private", "rshared", "rslave", "rprivate"}
VOLUME_OPTIONS = frozenset({"ro", "rw", "z", "Z", "nocopy", "consistent", "cached", "delegated", *_PROPAGATION})
# docker run flags that would fight the unit's own lifecycle.
FORBIDDEN_DOCKER_ARGS = {
    "-d": "systemd must supervise the foreground 'docker run'; a detached container is not tracked",
    "--detach": "systemd must supervise the foreground 'docker run'; a detached container is not tracked",
    "--name": "set container.name instead",
    "--env-file": "use container.env_files instead",
    "-e": "use container.env instead",
    "--env": "use container.env instead",
    "--restart": "systemd restarts the unit (service.restart); a docker restart policy fights it",
}


def names_registry_host(image: str) -> bool:
    """Whether an image reference starts with a registry host: a first component with a
    '.' or ':', or 'localhost'."""
    first, _, rest = image.partition("/")
    return bool(rest) and ("." in first or ":" in first or first == "localhost")


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """An image reference as (repository, tag, digest); a ':' after the last '/' starts the tag."""
    name, tag, digest = image, None, None
    if "@" in name:
        name, _, digest = name.partition("@")
    if ":" in name[name.rfind("/") + 1 :]:
        name, _, tag = name.rpartition(":")
    return name, tag, digest


def volume_problem(volume: str) -> str | None:
    parts = volume.split(":")
    if len(parts) == 1:
        return None if volume.startswith("/") else f"volume {volume!r} names no container path"
    if len(parts) > 3:
        return f"volume {volume!r} has too many ':'"
    source, target = parts[0], parts[1]
    if not source:
        return f"volume {volume!r} has an empty host path"
    if not target.startswith("/"):
        return f"volume {volume!r}: the container path {target!r} is not absolute"
    if len(parts) == 3:
        bad = [o for o in parts[2].split(",") if o not in VOLUME_OPTIONS]
        if bad:
            return f"volume {volume!r}: unknown option(s) {', '.join(bad)}"
    return None
