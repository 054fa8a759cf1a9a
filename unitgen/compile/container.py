"""The container's lifecycle as Exec lines, as the team writes them by hand: stop and
remove a leftover container (failures ignored), pull, fetch secrets, ``docker run``; stop
the container on stop; the spec's own host commands around them (``hooks``).  Runtime values read from etcd come first (``runtime_read_command``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from unitgen.compile.encoding import Arg, SpecRenderer, SpecText, exec_line
from unitgen.compile.hooks import add_hooks
from unitgen.compile.ir import UnitBuilder
from unitgen.spec import templating
from unitgen.spec.docker_rules import names_registry_host
from unitgen.spec.model import Project, ServiceSpec
from unitgen.spec.names import container_name
from unitgen.spec.source import KeyPath
from unitgen.systemd import quoting
from unitgen.systemd.quoting import Part, Raw

# The unit's private runtime directory: %t is /run for system units and
# $XDG_RUNTIME_DIR for user units; systemd creates it (RuntimeDirectory=) at start, owned
# by User= with mode 0700, and removes it at stop, so fetched secrets never outlive the unit.
RUNTIME_SUBDIR = "unitgen"


def runtime_parts(tail: str) -> tuple[Part, ...]:
    return (Raw("%t"), f"/{RUNTIME_SUBDIR}/", Raw("%n"), tail)


def runtime_path(file_name: str) -> tuple[Part, ...]:
    return runtime_parts("/" + file_name)


def image_pieces(spec: ServiceSpec, project: Project) -> list[str | tuple[str, KeyPath]]:
    """The image reference: the spec's repository, tag or digest, and the registry prefix
    where the repository names no registry host."""
    container = spec.container
    pieces: list[str | tuple[str, KeyPath]] = []
    if project.registry and not names_registry_host(container.image):
        pieces.append(project.registry.rstrip("/") + "/")
    pieces.append((container.image, ("container", "image")))
    if container.digest:
        pieces += ["@", (container.digest, ("container", "digest"))]
    elif container.tag:
        pieces += [":", (container.tag, ("container", "tag"))]
    return pieces


def _rendered(renderer: SpecRenderer, pieces: list[str | tuple[str, KeyPath]]) -> tuple[Part, ...] | None:
    """Spec strings rendered once (so a problem is reported once), joined with unitgen's
    own literal text, for use in several commands."""
    parts: list[Part] = []
    for piece in pieces:
        if isinstance(piece, str):
            parts.append(piece)
            continue
        rendered = renderer.parts(*piece)
        if rendered is None:
            return None
        parts.extend(rendered)
    return tuple(parts)


class _Commands:
    """Adds Exec lines to [Service], each from the spec key it comes from."""

    def __init__(self, renderer: SpecRenderer, out: UnitBuilder) -> None:
        self.renderer = renderer
        self.out = out

    def add(
        self, key: str, executable: str, args: Iterable[Arg], path: KeyPath, *, ignore_failure: bool = False
    ) -> None:
        words = exec_line(self.renderer, executable, args, ignore_failure=ignore_failure)
        if words is not None:
            self.out.add("Service", key, words, self.renderer.origin(path))


def add_lifecycle(renderer: SpecRenderer, out: UnitBuilder) -> None:
    """The [Service] commands that run the container."""
    spec, project = renderer.spec, renderer.project
    docker = project.paths.docker
    commands = _Commands(renderer, out)
    name = renderer.parts(container_name(spec), ("container", "name"))
    image = _rendered(renderer, image_pieces(spec, project))
    if name is None or image is None:
        return
    commands.add("ExecStartPre", docker, ["stop", name], ("container", "name"), ignore_failure=True)
    commands.add("ExecStartPre", docker, ["rm", name], ("container", "name"), ignore_failure=True)
    if spec.container.pull:
        commands.add("ExecStartPre", docker, ["pull", image], ("container", "image"))
    _fetch_secrets(commands)
    add_hooks(renderer, out, "before_start")
    commands.add("ExecStart", docker, docker_run_args(spec, name, image), ("container",))
    add_hooks(renderer, out, "after_start")
    add_hooks(renderer, out, "stop")
    commands.add("ExecStop", docker, ["stop", name], ("container", "name"))
    add_hooks(renderer, out, "after_stop")


def docker_run_args(spec: ServiceSpec, name: tuple[Part, ...], image: tuple[Part, ...]) -> list[Arg]:
    """``docker run``'s arguments: the container's name, environment, volumes, ports, the
    spec's own docker arguments, the image and its command."""
    container = spec.container
    args: list[Arg] = ["run", "--name", name, *environment_args(spec, runtime_path)]
    for i, port in enumerate(container.ports):
        args += ["-p", SpecText(port, ("container", "ports", i))]
    for i, arg in enumerate(container.docker_args):
        args.append(SpecText(arg, ("container", "docker_args", i)))
    args.append(image)
    for i, arg in enumerate(container.command):
        args.append(SpecText(arg, ("container", "command", i)))
    return args


def environment_args(spec: ServiceSpec, secret_path: Callable[[str], tuple[Part, ...]]) -> list[Arg]:
    """The options that give a container the service's env files (its fetched secrets,
    at ``secret_path(file name)``, first), environment and volumes."""
    container = spec.container
    args: list[Arg] = []
    for secret in container.secrets:
        args += ["--env-file", secret_path(secret.file_name)]
    for i, env_file in enumerate(container.env_files):
        args += ["--env-file", SpecText(env_file, ("container", "env_files", i))]
    for var in container.env:
        args += ["-e", SpecText(var.value, ("container", "env", var.name), f"{var.name}=")]
    for i, volume in enumerate(container.volumes):
        args += ["-v", SpecText(volume, ("container", "volumes", i))]
    return args


def _fetch_secrets(commands: _Commands) -> None:
    """The fetcher pulled, then run once per secret env file, into the runtime directory."""
    secrets = commands.renderer.spec.container.secrets
    if not secrets:
        return
    project = commands.renderer.project
    docker, fetcher = project.paths.docker, project.fetcher_image
    commands.add("ExecStartPre", docker, ["pull", fetcher], ("container", "secrets"), ignore_failure=True)
    for i, secret in enumerate(secrets):
        path: KeyPath = ("container", "secrets", i)
        args: list[Arg] = ["run", "--rm", "-v", runtime_parts(":/secrets"), fetcher]
        for word in project.fetcher_command:
            if word == "{bucket}":
                args.append(SpecText(secret.bucket, (*path, "bucket")))
            elif word == "{key}":
                args.append(SpecText(secret.key, (*path, "key")))
            elif word == "{dest}":
                args.append(f"/secrets/{secret.file_name}")
            else:
                args.append(word)
        commands.add("ExecStartPre", docker, args, path, ignore_failure=secret.optional)
        if secret.optional:
            commands.add("ExecStartPre", project.paths.touch, [runtime_path(secret.file_name)], path)


def runtime_read_command(project: Project, name: str) -> tuple[str, ...]:
    """An ExecStartPre that appends NAME=<etcd value> to the unit's runtime env file.

    The shell script is fixed text; the key, variable and file arrive as positional
    arguments, so no spec value is ever parsed by the shell.  A value that is not a
    plain token (as image tags and environment names are) fails the start instead of
    reaching a command line.
    """
    read = 'v=$(ETCDCTL_API=3 "$1" get "$2" --print-value-only)' if project.etcd_api == "3" else 'v=$("$1" get "$2")'
    script = (
        f"{read} || exit 1; "
        'case "$v" in ""|*[!A-Za-z0-9_.-]*) echo "unitgen: etcd key $2 holds no valid value: $v" >&2; exit 1;; esac; '
        'echo "$3=$v" >> "$4"'
    )
    variable = templating.runtime_variable(name)
    arguments = ["-c", script, "unitgen-runtime", project.paths.etcdctl, project.runtime[name], variable]
    return quoting.exec_command(project.paths.sh, [*arguments, runtime_parts("/runtime.env")])
