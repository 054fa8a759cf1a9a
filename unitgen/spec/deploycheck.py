"""The ``[deploy]`` table: its typed settings and the checks of one spec's deploy.

A deploy restarts the service with the version its etcd key holds, so the image tag must
be that key's value and nothing else: the updater pulls ``image:VERSION`` before any
restart, and the restarted unit reads the same key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from unitgen.spec.model import Deploy, ServiceSpec
from unitgen.spec.source import KeyPath
from unitgen.spec.typecheck import Checked

Report = Callable[[str, str, KeyPath, str | None], None]

_TIMINGS = ("batch_size", "health_timeout", "ttl", "poll", "relaunch_limit", "relaunch_backoff")


def deploy_settings(table: Checked) -> Deploy:
    """The type-checked ``[deploy]`` table as a model, with its defaults."""
    defaults = Deploy()
    return Deploy(
        version=table.get("version", defaults.version),
        strategy=table.get("strategy", defaults.strategy),
        batch_size=table.get("batch_size", defaults.batch_size),
        maintenance=tuple(tuple(item.get("command", ())) for item in table.get("maintenance", ())),
        health=tuple(table.get("health", ())),
        health_timeout=table.get("health_timeout", defaults.health_timeout),
        ttl=table.get("ttl", defaults.ttl),
        poll=table.get("poll", defaults.poll),
        relaunch_limit=table.get("relaunch_limit", defaults.relaunch_limit),
        relaunch_backoff=table.get("relaunch_backoff", defaults.relaunch_backoff),
        after=tuple(table.get("after", ())),
    )


def check_deploy(spec: ServiceSpec, runtime: Mapping[str, str] | None, error: Report) -> None:
    deploy = spec.deploy
    if deploy is None:
        return
    if spec.is_template:
        error(
            "S292",
            "a deploy restarts one unit per machine; a template spec (instances) cannot have [deploy] yet",
            ("deploy",),
            "deploy the instances' service from a spec without instances, or drop [deploy]",
        )
    wanted = f"{{{{ runtime.{deploy.version} }}}}"
    if runtime is not None and deploy.version not in runtime:
        known = ", ".join(sorted(runtime)) or "none"
        error(
            "S290",
            f"deploy.version names {deploy.version!r}, which is no [runtime] name (known: {known})",
            ("deploy", "version"),
            f'declare its etcd key in unitgen.toml: [runtime] {deploy.version} = "/app-version"',
        )
    elif (spec.container.tag or "").replace(" ", "") != wanted.replace(" ", "") or spec.container.digest:
        error(
            "S290",
            f"a deployed service's image tag must be exactly {wanted}: the updater pulls image:VERSION",
            ("container", "tag"),
            f'set [container] tag = "{wanted}"',
        )
    for name in _TIMINGS:
        value = getattr(deploy, name)
        if value < 1:
            error("S291", f"deploy.{name} must be a positive number, not {value}", ("deploy", name), None)
    if deploy.ttl >= 1 and deploy.poll >= deploy.ttl:
        error(
            "S291",
            f"deploy.poll ({deploy.poll}) must be below deploy.ttl ({deploy.ttl}): the keys would expire between looks",
            ("deploy", "poll"),
            "make poll at most a third of ttl",
        )
    for i, command in enumerate(deploy.maintenance):
        if not command:
            error("S293", "a maintenance command needs an argv", ("deploy", "maintenance", i, "command"), None)
