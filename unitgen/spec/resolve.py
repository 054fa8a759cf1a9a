"""Spec files → typed models: load, type-check, then apply defaults, extends and overlays."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import attrs

from unitgen.diagnostics import Diagnostics, Location, did_you_mean
from unitgen.spec import model, schema, source
from unitgen.spec.deploycheck import deploy_settings
from unitgen.spec.merge import Layer, NamedByFile, merge_layers
from unitgen.spec.project import PROJECT_FILE, load_project_layer
from unitgen.spec.source import KeyPath, NoOrigins, Origins, TextOrigins, display_path, load_document
from unitgen.spec.typecheck import Checked, check_document


@attrs.frozen
class SpecFile:
    """One spec file, type-checked.  Its raw TOML data is not kept: once checked, only the
    checked data is read, and a large project holds thousands of files."""

    name: str  # the spec's name: unit.name, else the file stem
    path: str  # as diagnostics show it
    origins: Origins
    layer: Layer  # type-checked data, without its environments table
    environments: Mapping[str, Layer]


@attrs.frozen
class Workspace:
    project: model.Project
    project_defaults: Mapping[str | None, Layer]  # merged under every spec, per environment
    specs: tuple[SpecFile, ...]
    variables: Mapping[str | None, Mapping[str, str]]  # compile-time values per environment
    # The names (file stems) of spec files that could not be read or parsed: each reported
    # once, where it is, and still a known name, so no reference to it is an error too.
    unloaded: frozenset[str]
    # What ``--set`` may pin: the declared vars (the project's and every environment's),
    # the [runtime] names and ``environment``; None when the project file has errors.
    settable: frozenset[str] | None


def sublayer(layer: Layer, prefix: KeyPath) -> Layer:
    """The part of a layer under ``prefix``, with paths re-rooted there."""
    data: object = layer.data
    for part in prefix:
        data = data.get(part, {}) if isinstance(data, dict) else {}
    origins = layer.origins
    below = origins.below(prefix) if isinstance(origins, TextOrigins) else NoOrigins(origins.location(prefix))
    return Layer(data if isinstance(data, dict) else {}, below)


def spec_names(names: Iterable[str]) -> list[str]:
    """The spec files among the names of a directory: each ``*.toml`` but the project file."""
    return [name for name in names if name.endswith(".toml") and name != PROJECT_FILE]


def _warn_ignored(directory: Path, names: list[str], diagnostics: Diagnostics) -> None:
    """Files that look like specs but are not compiled: a ``.TOML`` (any other case), and
    spec files in a subdirectory.  Leaving them out silently would drop a service.
    ``names``: the directory's, sorted."""
    for name in names:
        path = directory / name
        if name.lower().endswith(".toml") and not name.endswith(".toml"):
            diagnostics.warning(
                "S004",
                f"{name} is not compiled: a spec file's name ends in '.toml', in lower case",
                hint=f"rename it to {name[: -len('.toml')]}.toml",
                location=Location(display_path(path)),
            )
        elif not name.endswith(".toml") and not name.startswith(".") and path.is_dir():
            below = sorted(
                Path(root, found).relative_to(path).as_posix()
                for root, _, found_names in os.walk(path)  # symbolic links to directories are not followed
                for found in found_names
                if found.lower().endswith(".toml")
            )
            if below:
                diagnostics.warning(
                    "S004",
                    f"{name}/ holds spec files that are not compiled ({', '.join(below)}): "
                    f"only those directly in {directory.name or directory}/ are",
                    hint="move them up into the specs directory",
                    location=Location(display_path(path)),
                )


def load_workspace(directory: Path, overrides: Mapping[str, str], diagnostics: Diagnostics) -> Workspace:
    """The project and every spec of ``directory``, read, parsed and type-checked."""
    found = Diagnostics()
    project, project_layer = load_project_layer(directory, found)
    diagnostics.extend(found)
    names = sorted(os.listdir(directory))  # one listing, no path object per file
    _warn_ignored(directory, names, diagnostics)
    environments = project.environments or (None,)
    project_defaults: dict[str | None, Layer] = {}
    variables: dict[str | None, dict[str, str]] = {}
    settable = {"environment", *project.vars, *project.runtime}
    for env in environments:
        layers = [sublayer(project_layer, ("defaults",))]
        values = dict(project.vars)
        if env is not None:
            layers.append(sublayer(project_layer, ("environments", env, "defaults")))
            env_vars = project_layer.data.get("environments", {}).get(env, {}).get("vars", {})
            values.update(env_vars)
            settable.update(env_vars)
            values["environment"] = env
        values.update(overrides)
        # Merged once here rather than under each spec: merging is a left fold, so the
        # result (origins included) is the same.
        project_defaults[env] = merge_layers(layers, schema.SPEC)
        variables[env] = values
    specs = []
    unloaded = set()
    prefix = source.display_prefix(os.fspath(directory))  # the same for every spec: found once
    for file_name in spec_names(names):
        stem = os.path.splitext(file_name)[0]
        path = os.path.join(directory, file_name)
        shown = os.fspath(directory / file_name) if prefix is None else prefix + file_name
        document = load_document(path, diagnostics, shown=shown)
        if document is None:
            unloaded.add(stem)
            continue
        data = check_document(document.data, schema.SPEC, document.origins, diagnostics)
        tables = data.get("environments")
        # Layers are never changed once made (merging builds new tables), so a spec without
        # overlays is its own body.
        body = Layer(
            data if tables is None else {k: v for k, v in data.items() if k != "environments"}, document.origins
        )
        overlays = {}
        for env in tables or {}:
            if env not in environments:
                diagnostics.error(
                    "S201",
                    f"environment {env!r} is not declared in the project",
                    hint=did_you_mean(env, [e for e in environments if e])
                    or "declare it under [environments] in unitgen.toml",
                    **document.origins.where(("environments", env)),
                )
                continue
            overlays[env] = sublayer(Layer(data, document.origins), ("environments", env))
        name = data.get("unit", {}).get("name") or stem
        origins = document.origins if "name" in data.get("unit", {}) else NamedByFile(document.origins, document.path)
        specs.append(SpecFile(name, document.path, origins, body, overlays))
    return Workspace(
        project,
        project_defaults,
        tuple(specs),
        variables,
        frozenset(unloaded),
        None if found.has_errors else frozenset(settable),
    )


def resolution_order(workspace: Workspace, diagnostics: Diagnostics) -> list[tuple[SpecFile, list[SpecFile]]]:
    """The specs to resolve, in file order, each with its extends chain (base first).

    A spec whose name an earlier file already took, or whose chain is broken, is reported
    and left out; so is, silently, a spec extending one that could not be loaded (that
    file's own error says it all).  This is the part of resolving that needs every spec at
    once; each spec is then resolved on its own (``resolve_spec``)."""
    by_name: dict[str, SpecFile] = {}
    for spec in workspace.specs:
        if spec.name in by_name:
            first = by_name[spec.name].path
            diagnostics.error(
                "S301",
                f"two specs are both named {spec.name!r} (the other is {first})",
                hint="rename one file or set a different unit.name",
                **spec.origins.where(("unit", "name")),
            )
            continue
        by_name[spec.name] = spec
    order = []
    for spec in by_name.values():
        chain = _extends_chain(spec, by_name, workspace.unloaded, diagnostics)
        if chain is not None:
            order.append((spec, chain))
    return order


def resolve_spec(
    workspace: Workspace, env: str | None, spec: SpecFile, chain: list[SpecFile], diagnostics: Diagnostics
) -> model.ServiceSpec:
    """One spec for one environment: project defaults, then each link of its extends chain
    with that link's overlay for the environment."""
    layers = [workspace.project_defaults[env]]
    for link in chain:
        layers.append(link.layer)
        if env is not None and env in link.environments:
            layers.append(link.environments[env])
    # The result keeps the spec's own file as the fallback location.
    merged = merge_layers(layers, schema.SPEC, spec.origins)
    if isinstance(spec.origins, NamedByFile):
        merged = Layer(merged.data, NamedByFile(merged.origins, spec.path))
    return build_spec(spec, merged, env, workspace.project, diagnostics, extends=len(chain) > 1)


def _extends_chain(
    spec: SpecFile, by_name: Mapping[str, SpecFile], unloaded: frozenset[str], diagnostics: Diagnostics
) -> list[SpecFile] | None:
    chain = [spec]
    seen = [spec.name]
    current = spec
    while True:
        base_name = current.layer.data.get("extends")
        if base_name is None:
            return list(reversed(chain))
        origins = current.origins
        base = by_name.get(base_name)
        if base is None and base_name in unloaded:
            return None
        if base is None:
            diagnostics.error(
                "S202",
                f"extends unknown spec {base_name!r}",
                hint=did_you_mean(base_name, by_name) or "known specs: " + ", ".join(sorted(by_name)),
                **origins.where(("extends",)),
            )
            return None
        if base.name in seen:
            cycle = " -> ".join([*seen, base.name])
            if current is spec or base is spec:
                diagnostics.error("S203", f"extends cycle: {cycle}", **origins.where(("extends",)))
            return None
        seen.append(base.name)
        chain.append(base)
        current = base


_RELATION_KEYS = frozenset(key for key, _ in model.Relations.DIRECTIVES)


def build_spec(
    spec: SpecFile, layer: Layer, env: str | None, project: model.Project, diagnostics: Diagnostics, *, extends: bool
) -> model.ServiceSpec:
    data = layer.data
    unit: Checked = data.get("unit", {})
    service: Checked = data.get("service", {})
    container: Checked = data.get("container", {})
    fleet: Checked = data.get("fleet", {})
    instances: Checked = data.get("instances", {})
    presence: Checked = data.get("presence", {})
    name = spec.name
    # An image missing from a spec that extends another is missing from the base too: the
    # base, itself a spec, reports it once.
    if "image" not in container and not extends:
        diagnostics.error(
            "S105",
            "missing required key 'container.image'",
            hint='add [container] image = "repository/name"',
            location=layer.origins.location(("container",)),
            key_path="container.image",
        )
    env_vars = []
    for var_name, value in container.get("env", {}).items():
        if isinstance(value, dict):
            env_vars.append(model.EnvVar(var_name, value["value"], declared_not_secret=value.get("secret") is False))
        else:
            env_vars.append(model.EnvVar(var_name, value))
    secrets = tuple(
        model.Secret(
            bucket=item.get("bucket", ""),
            key=item.get("key", ""),
            file_name=item.get("name", f"secrets-{i}.env"),
            optional=item.get("optional", False),
        )
        for i, item in enumerate(container.get("secrets", []))
    )
    return model.ServiceSpec(
        name=name,
        source=spec.path,
        environment=env,
        description=unit.get("description"),
        # Only the relations the spec names: the others keep their default, ().
        relations=model.Relations(**{key: tuple(value) for key, value in unit.items() if key in _RELATION_KEYS}),
        unit_extra=model.directive_items(unit.get("extra")),
        restart=service.get("restart"),
        restart_sec=service.get("restart_sec"),
        timeout_start_sec=service.get("timeout_start_sec", "0"),
        timeout_stop_sec=service.get("timeout_stop_sec"),
        user=service.get("user"),
        service_extra=model.directive_items(service.get("extra")),
        container=model.Container(
            name=container.get("name", name),
            image=container.get("image", ""),
            tag=container.get("tag"),
            digest=container.get("digest"),
            pull=container.get("pull", True),
            command=tuple(container.get("command", ())),
            env=tuple(env_vars),
            env_files=tuple(container.get("env_files", ())),
            volumes=tuple(container.get("volumes", ())),
            ports=tuple(container.get("ports", ())),
            docker_args=tuple(container.get("docker_args", ())),
            secrets=secrets,
        ),
        placement=model.Placement(
            global_=fleet.get("global", False),
            machine_metadata=model.directive_items(fleet.get("machine_metadata")),  # the same (name, strings) pairs
            machine_of=tuple(fleet.get("machine_of", ())),
            conflicts=tuple(fleet.get("conflicts", ())),
            machine_id=fleet.get("machine_id"),
            replaces=tuple(fleet.get("replaces", ())),
        ),
        instances=tuple(instances.get("names", ())),
        spread_instances=instances.get("spread", True),
        presence=_presence(name, presence, project) if presence else model.Presence(),
        hooks=_hooks(data.get("hooks", {})),
        origins=layer.origins,
        compose=model.ComposeSettings(**data.get("compose", {})),
        deploy=deploy_settings(data["deploy"]) if "deploy" in data else None,
    )


def _presence(name: str, presence: Checked, project: model.Project) -> model.Presence:
    elb = presence.get("elb")
    etcd = presence.get("etcd")
    return model.Presence(
        elb=model.ElbPresence(elb.get("load_balancer", ""), elb.get("image", project.elb_image))
        if elb is not None
        else None,
        etcd=model.EtcdPresence(
            key=etcd.get("key", f"/services/{name}/{{{{ hostname }}}}"),
            port=etcd.get("port"),
            ttl=etcd.get("ttl", 60),
            interval=etcd.get("interval", 45),
        )
        if etcd is not None
        else None,
    )


def _hooks(hooks: Checked) -> model.Hooks:
    def commands(key: str) -> tuple[model.HostCommand, ...]:
        return tuple(
            model.HostCommand(tuple(item["argv"]), item.get("ignore_failure", False))
            if isinstance(item, dict)
            else model.HostCommand(tuple(item))
            for item in hooks.get(key, ())
        )

    return model.Hooks(**{key: commands(key) for key, _ in model.Hooks.DIRECTIVES})
