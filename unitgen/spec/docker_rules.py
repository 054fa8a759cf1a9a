"""What docker accepts where a spec feeds ``docker run``: container names, image
references, port mappings, volumes, and the flags unitgen sets itself."""

from __future__ import annotations

import ipaddress
import re

CONTAINER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
# docker's reference grammar (distribution/reference)
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_HOST = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
IMAGE_NAME = re.compile(rf"(?:{_HOST}/)?{_COMPONENT}(?:/{_COMPONENT})*")
TAG = re.compile(r"[\w][\w.-]{0,127}")
DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
# docker run -p, as docker's documentation gives it: [ip:][host-port:]container-port[/protocol],
# where each port is 1-65535 or a range 'low-high', the address is IPv4 or an IPv6 address in
# brackets, an empty host port (ip::80) asks for any free port, and the protocol is tcp
# (the default), udp or sctp.  The shape is matched here; the numbers by ``port_problem``.
PORT = re.compile(
    r"(?:(?P<ip>[0-9.]+|\[[0-9a-fA-F:.]+\]):(?=[0-9]*:))?(?:(?P<host>[0-9]+(?:-[0-9]+)?)?:)?"
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


def port_problem(mapping: str) -> str | None:
    """Why docker would refuse a ``-p`` value, or None."""
    match = PORT.fullmatch(mapping)
    if match is None:
        return "write [ip:][host-port:]container-port[/tcp|udp|sctp]"
    ip = match.group("ip")
    if ip is not None and not _is_address(ip):
        return f"{ip} is not an IPv4 address or a bracketed IPv6 address"
    try:
        host = _port_range(match.group("host"), "host") if match.group("host") else None
        container = _port_range(match.group("container"), "container")
    except ValueError as error:
        return str(error)
    # docker maps a host range onto one container port (it takes any free one of them),
    # but a container range needs a host range of the same length.
    if host and container[0] != container[1] and host[1] - host[0] != container[1] - container[0]:
        return "the host and container port ranges differ in length"
    return None


def _is_address(text: str) -> bool:
    try:
        if text.startswith("["):
            ipaddress.IPv6Address(text[1:-1])
        else:
            ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _port_range(text: str, side: str) -> tuple[int, int]:
    """A port or 'low-high' as (low, high); ValueError says what docker would refuse."""
    low_text, _, high_text = text.partition("-")
    low, high = int(low_text), int(high_text or low_text)
    for port in (low, high):
        if not 1 <= port <= 65535:
            raise ValueError(f"{side} port {port} is out of range (1-65535)")
    if low > high:
        raise ValueError(f"{side} port range {text} runs backwards")
    return low, high
