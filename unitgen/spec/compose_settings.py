"""The project file's settings for Compose files: local environments and ``[compose.ENV]``."""

from __future__ import annotations

from unitgen.diagnostics import Diagnostics, did_you_mean
from unitgen.spec import model
from unitgen.spec.source import Origins
from unitgen.spec.typecheck import Checked


def local_environments(data: Checked, environments: tuple[str, ...]) -> tuple[str, ...]:
    """The declared environments with ``cluster = false``."""
    tables = data.get("environments", {})
    return tuple(env for env in environments if tables.get(env, {}).get("cluster") is False)


def compose_targets(
    data: Checked, environments: tuple[str, ...], origins: Origins, diagnostics: Diagnostics
) -> tuple[model.ComposeTarget, ...]:
    """``[compose.ENV]`` tables, each for a declared environment."""
    targets = []
    for env, table in sorted(data.get("compose", {}).items()):
        if env not in environments:
            diagnostics.error(
                "S205",
                f"[compose.{env}]: environment {env!r} is not declared in the project",
                hint=did_you_mean(env, environments)
                or "declare it under [environments] (cluster = false for a local one)",
                **origins.where(("compose", env)),
            )
            continue
        targets.append(
            model.ComposeTarget(env, table.get("file"), table.get("secrets_dir"), dict(table.get("pins", {})))
        )
    return tuple(targets)
