"""The project file, ``unitgen.toml``: paths, runtime keys, environments, Compose files and
the project's name, read once into ``model.Project`` (it is optional: without it, defaults)."""

from __future__ import annotations

import re
from pathlib import Path

from unitgen.diagnostics import Diagnostics, Location
from unitgen.spec import model, schema
from unitgen.spec.compose_settings import compose_targets, local_environments
from unitgen.spec.merge import Layer
from unitgen.spec.source import Document, NoOrigins, load_document
from unitgen.spec.typecheck import Checked, check_document

PROJECT_FILE = "unitgen.toml"


def _empty_layer(file: str) -> Layer:
    return Layer({}, NoOrigins(Location(file)))


def load_project(directory: Path) -> model.Project:
    """The project file alone; its problems are the compile's to report."""
    return load_project_layer(directory, Diagnostics())[0]


def load_project_layer(directory: Path, diagnostics: Diagnostics) -> tuple[model.Project, Layer]:
    """The project, and its data as the layer under every spec (``[defaults]``, environments)."""
    path = directory / PROJECT_FILE
    if not path.exists():
        return model.Project(source=None), _empty_layer(str(path))
    document = load_document(path, diagnostics)
    if document is None:
        return model.Project(source=str(path)), _empty_layer(str(path))
    data = check_document(document.data, schema.PROJECT, document.origins, diagnostics)
    paths = data.get("paths", {})
    fetcher = data.get("fetcher", {})
    presence = data.get("presence", {})
    defaults = model.Paths()
    environments = _environment_names(data, document, diagnostics)
    project = model.Project(
        source=document.path,
        paths=model.Paths(
            docker=paths.get("docker", defaults.docker),
            etcdctl=paths.get("etcdctl", defaults.etcdctl),
            sh=paths.get("sh", defaults.sh),
            touch=paths.get("touch", defaults.touch),
            systemctl=paths.get("systemctl", defaults.systemctl),
            fleetctl=paths.get("fleetctl", defaults.fleetctl),
        ),
        name=_project_name(data, document, diagnostics),
        registry=data.get("registry"),
        etcd_api=data.get("etcd_api", "2"),
        output=data.get("output", "out"),
        vars=dict(data.get("vars", {})),
        runtime=dict(data.get("runtime", {})),
        fetcher_image=fetcher.get("image", "jcderr/s3fetch"),
        fetcher_command=tuple(fetcher.get("command", model.DEFAULT_FETCHER_COMMAND)),
        elb_image=presence.get("elb_image", "djedstudios/elb-presence"),
        environments=environments,
        local_environments=local_environments(data, environments),
        compose=compose_targets(data, environments, document.origins, diagnostics),
        origins=document.origins,
    )
    return project, Layer(data, document.origins)


ENVIRONMENT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
PROJECT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _project_name(data: Checked, document: Document, diagnostics: Diagnostics) -> str | None:
    """The name in every unit's marker section: one plain word, so it can add nothing to a unit."""
    name: str | None = data.get("project")
    if name is None or PROJECT_NAME.fullmatch(name):
        return name
    hint = "use letters, digits, '.', '-' and '_', starting with a letter or digit"
    diagnostics.error(
        "S206", f"project name {name!r} cannot mark a unit", hint=hint, **document.origins.where(("project",))
    )
    return None


def _environment_names(data: Checked, document: Document, diagnostics: Diagnostics) -> tuple[str, ...]:
    """Declared environments; each names a directory below out/, so it must be a plain name."""
    names = []
    for name in sorted(data.get("environments", {})):
        if ENVIRONMENT_NAME.fullmatch(name):
            names.append(name)
        else:
            diagnostics.error(
                "S204",
                f"environment name {name!r} cannot be a directory name below the output directory",
                hint="use letters, digits, '-' and '_'",
                **document.origins.where(("environments", name)),
            )
    return tuple(names)
