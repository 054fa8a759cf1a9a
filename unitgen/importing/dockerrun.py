"""``docker run``'s command line, read as docker reads it: its options, the image, the command.

Options are looked up in a table of ``docker run``'s flags (docker 1.x to 20.x, and the
single-dash spellings docker accepted before 1.0, such as ``-name`` and ``-rm``): a flag
that takes a value takes the next word unless written ``--flag=value``; short boolean
flags may be grouped (``-it``).  The first word that is not an option is the image.
"""

from __future__ import annotations

import attrs

# Long options that take a value, with their short forms.
VALUE_OPTIONS = frozenset(
    [
        "add-host",
        "attach",
        "blkio-weight",
        "blkio-weight-device",
        "cap-add",
        "cap-drop",
        "cgroup-parent",
        "cgroupns",
        "cidfile",
        "cpu-count",
        "cpu-percent",
        "cpu-period",
        "cpu-quota",
        "cpu-rt-period",
        "cpu-rt-runtime",
        "cpu-shares",
        "cpus",
        "cpuset",
        "cpuset-cpus",
        "cpuset-mems",
        "device",
        "device-cgroup-rule",
        "device-read-bps",
        "device-read-iops",
        "device-write-bps",
        "device-write-iops",
        "dns",
        "dns-opt",
        "dns-option",
        "dns-search",
        "domainname",
        "entrypoint",
        "env",
        "env-file",
        "expose",
        "gpus",
        "group-add",
        "health-cmd",
        "health-interval",
        "health-retries",
        "health-start-period",
        "health-timeout",
        "hostname",
        "io-maxbandwidth",
        "io-maxiops",
        "ip",
        "ip6",
        "ipc",
        "isolation",
        "kernel-memory",
        "label",
        "label-file",
        "link",
        "link-local-ip",
        "log-driver",
        "log-opt",
        "lxc-conf",
        "mac-address",
        "memory",
        "memory-reservation",
        "memory-swap",
        "memory-swappiness",
        "mount",
        "name",
        "net",
        "net-alias",
        "network",
        "network-alias",
        "oom-score-adj",
        "pid",
        "pids-limit",
        "platform",
        "publish",
        "pull",
        "restart",
        "runtime",
        "security-opt",
        "shm-size",
        "stop-signal",
        "stop-timeout",
        "storage-opt",
        "sysctl",
        "tmpfs",
        "ulimit",
        "user",
        "userns",
        "uts",
        "volume",
        "volume-driver",
        "volumes-from",
        "workdir",
    ]
)
BOOLEAN_OPTIONS = frozenset(
    [
        "detach",
        "disable-content-trust",
        "init",
        "interactive",
        "no-healthcheck",
        "oom-kill-disable",
        "privileged",
        "publish-all",
        "quiet",
        "read-only",
        "rm",
        "sig-proxy",
        "tty",
    ]
)
SHORT_OPTIONS = {
    "a": "attach",
    "c": "cpu-shares",
    "d": "detach",
    "e": "env",
    "h": "hostname",
    "i": "interactive",
    "l": "label",
    "m": "memory",
    "p": "publish",
    "P": "publish-all",
    "q": "quiet",
    "t": "tty",
    "u": "user",
    "v": "volume",
    "w": "workdir",
}


@attrs.frozen
class Option:
    name: str  # the long name, without dashes
    value: str | None  # None for a boolean flag written without '='
    words: tuple[str, ...]  # as written


@attrs.frozen
class DockerRun:
    options: tuple[Option, ...]
    image: str
    command: tuple[str, ...]


class NotDockerRun(ValueError):
    pass


def _long(word: str) -> tuple[str, str | None] | None:
    """(name, inline value) of a long option, also in its pre-1.0 single-dash spelling."""
    body = word[2:] if word.startswith("--") else word[1:]
    name, equals, value = body.partition("=")
    if (name in VALUE_OPTIONS or name in BOOLEAN_OPTIONS) and (word.startswith("--") or len(name) > 1):
        return name, value if equals else None
    return None


def parse_run(args: tuple[str, ...]) -> DockerRun:
    """``args`` are the words after ``run``."""
    options: list[Option] = []
    index = 0
    while index < len(args):
        word = args[index]
        if word == "--":
            index += 1
            break
        if not word.startswith("-") or word == "-":
            break
        index += 1
        found = _long(word)
        if found is not None:
            name, value = found
            if name in VALUE_OPTIONS and value is None:
                if index >= len(args):
                    raise NotDockerRun(f"option {word} has no value")
                value = args[index]
                options.append(Option(name, value, (word, value)))
                index += 1
            else:
                options.append(Option(name, value, (word,)))
            continue
        if word.startswith("--"):
            raise NotDockerRun(f"unknown docker run option {word}")
        index = _short_group(word, args, index, options)
    if index >= len(args):
        raise NotDockerRun("docker run names no image")
    return DockerRun(tuple(options), args[index], tuple(args[index + 1 :]))


def _short_group(word: str, args: tuple[str, ...], index: int, options: list[Option]) -> int:
    """``-it``, ``-p80:80``, ``-e A=1``: grouped booleans, the last letter may take a value."""
    letters = word[1:]
    for position, letter in enumerate(letters):
        name = SHORT_OPTIONS.get(letter)
        if name is None:
            raise NotDockerRun(f"unknown docker run option -{letter}")
        if name in BOOLEAN_OPTIONS:
            if position == len(letters) - 1:
                options.append(Option(name, None, (word,)))
            continue
        rest = letters[position + 1 :]
        if rest:
            value = rest[1:] if rest.startswith("=") else rest
            options.append(Option(name, value, (word,)))
            return index
        if index >= len(args):
            raise NotDockerRun(f"option -{letter} has no value")
        options.append(Option(name, args[index], (word, args[index])))
        return index + 1
    if len(letters) > 1:  # a group of booleans: record each but the last one recorded above
        for letter in letters[:-1]:
            options.insert(len(options) - 1, Option(SHORT_OPTIONS[letter], None, ()))
    return index
