"""Semantic checks of one spec: names, images, time spans, volumes, ports, secrets.

Only literal text is checked: where a value holds a template (``{{ … }}``), the parts
systemd or etcd fill in at start cannot be known here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from unitgen.diagnostics import Diagnostics, did_you_mean
from unitgen.secretscan import secret_problem
from unitgen.spec import templating
from unitgen.spec.deploycheck import check_deploy
from unitgen.spec.docker_rules import (
    CONTAINER_NAME,
    DIGEST,
    FORBIDDEN_DOCKER_ARGS,
    IMAGE_NAME,
    TAG,
    port_problem,
    split_image,
    volume_problem,
)
from unitgen.spec.model import Hooks, ServiceSpec
from unitgen.spec.passthrough import MANAGED_DIRECTIVES, passthrough_problem
from unitgen.spec.source import KeyPath, toml_key, toml_list
from unitgen.systemd import directives
from unitgen.systemd.quoting import Part, Raw, literal_text
from unitgen.systemd.unitnames import fleet_name_problem, systemd_name_problem
from unitgen.systemd.values import env_name_is_valid, timespan_problem

SPEC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
INSTANCE_NAME = re.compile(r"[A-Za-z0-9:_.\\-]+")
USER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\$?|[0-9]+")
FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
MACHINE_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}")


class SpecValidator:
    def __init__(
        self,
        spec: ServiceSpec,
        diagnostics: Diagnostics,
        variables: Mapping[str, str],
        runtime: Mapping[str, str] | None = None,
    ) -> None:
        self.spec = spec
        self.diagnostics = diagnostics
        self.variables = variables
        # The project's runtime keys: a runtime value is then known not to be literal,
        # rather than refused with a hint that nobody reads.
        self.runtime = runtime

    def rendered(self, text: str) -> tuple[Part, ...] | None:
        """The parts a value stands for; None for a template error, reported where the
        value is converted."""
        try:
            return templating.render(text, self.variables, self.runtime, set())
        except templating.TemplateError:
            return None

    def literal(self, text: str) -> str | None:
        """The text a value stands for when it is known at compile time (plain text, or a
        template of compile-time values only); None when systemd or etcd fill parts in."""
        parts = self.rendered(text)
        return None if parts is None else literal_text(parts)

    def error(self, code: str, message: str, path: KeyPath, hint: str | None = None) -> None:
        self.diagnostics.error(code, message, hint=hint, **self.spec.origins.where(path))

    def warning(self, code: str, message: str, path: KeyPath, hint: str | None = None) -> None:
        self.diagnostics.warning(code, message, hint=hint, **self.spec.origins.where(path))

    def run(self) -> None:
        self.names()
        self.image()
        self.settings()
        self.extras()
        self.container()
        self.secrets()
        self.placement()
        self.presence()
        check_deploy(self.spec, self.runtime, self.error)
        self.hooks()

    def names(self) -> None:
        spec = self.spec
        if not SPEC_NAME.fullmatch(spec.name):
            self.error(
                "S210",
                f"spec name {spec.name!r} is not usable as a unit name",
                ("unit", "name"),
                "use letters, digits, '-' and '_' (set unit.name when the file name has other characters)",
            )
            return
        unit_name = spec.unit_name
        problem = systemd_name_problem(unit_name) or fleet_name_problem(unit_name)
        if problem:
            self.error("S210", f"unit name {unit_name!r}: {problem}", ("unit", "name"))
        seen = set()
        for i, instance in enumerate(spec.instances):
            if not INSTANCE_NAME.fullmatch(instance):
                self.error(
                    "S211",
                    f"instance name {instance!r} has characters a unit name cannot hold",
                    ("instances", "names", i),
                )
            elif instance in seen:
                self.error("S211", f"instance {instance!r} is listed twice", ("instances", "names", i))
            else:
                instance_unit = f"{spec.name}@{instance}.service"
                problem = systemd_name_problem(instance_unit)
                if problem:
                    self.error("S211", f"instance unit {instance_unit}: {problem}", ("instances", "names", i))
            seen.add(instance)
        name = self.literal(spec.container.name)
        if name is not None and not CONTAINER_NAME.fullmatch(name):
            self.error(
                "S212",
                f"container name {name!r} is not valid for docker",
                ("container", "name"),
                "use [A-Za-z0-9][A-Za-z0-9_.-]*",
            )

    def image(self) -> None:
        container = self.spec.container
        if not container.image:
            return
        image = self.literal(container.image)
        if image is None:
            return
        name, tag, digest = split_image(image)
        if not IMAGE_NAME.fullmatch(name):
            self.error(
                "S220",
                f"{name!r} is not a valid image repository name",
                ("container", "image"),
                "lower-case path components such as 'djedstudios/app'",
            )
        if tag is not None and container.tag is not None:
            self.error(
                "S221", "the image names a tag and container.tag sets another", ("container", "tag"), "keep one of them"
            )
        if (tag or container.tag) and (digest or container.digest):
            self.error("S221", "an image takes a tag or a digest, not both", ("container", "digest"))
        if tag is not None:
            self.image_part(tag, ("container", "image"), TAG, "tag")
        if container.tag is not None:
            self.image_part(container.tag, ("container", "tag"), TAG, "tag")
        if digest is not None:
            self.image_part(digest, ("container", "image"), DIGEST, "digest")
        if container.digest is not None:
            self.image_part(container.digest, ("container", "digest"), DIGEST, "digest")
        if not (tag or container.tag or digest or container.digest):
            self.warning(
                "S223",
                "the image has no tag or digest, so every start pulls whatever 'latest' is then",
                ("container", "image"),
                'pin a tag, or read it from etcd with tag = "{{ runtime.version }}"',
            )

    def image_part(self, value: str, path: KeyPath, pattern: re.Pattern[str], what: str) -> None:
        known = self.literal(value)
        if known is not None and not pattern.fullmatch(known):
            self.error("S222", f"{known!r} is not a valid image {what}", path)

    def settings(self) -> None:
        spec = self.spec
        for key, value in (
            ("timeout_start_sec", spec.timeout_start_sec),
            ("timeout_stop_sec", spec.timeout_stop_sec),
            ("restart_sec", spec.restart_sec),
        ):
            if value is None:
                continue
            parts = self.rendered(value)
            if parts is None:
                continue
            known = literal_text(parts)
            if known is not None:
                problem, shown = timespan_problem(known), known
            elif any(isinstance(part, Raw) and not part.is_variable for part in parts):
                # systemd reads a time span as it is; variables are refused where the value is encoded.
                problem, shown = "systemd expands no specifiers in a time span", value
            else:
                continue
            if problem:
                self.error(
                    "S230",
                    f"{shown!r} is not a systemd time span: {problem}",
                    ("service", key),
                    "examples: '0', '90s', '5min 20s', 'infinity'",
                )
        user = self.literal(spec.user) if spec.user is not None else None
        if user is not None and not USER_NAME.fullmatch(user):
            self.error("S231", f"{user!r} is not a valid user name", ("service", "user"))

    def extras(self) -> None:
        for section, items, table in (
            ("Unit", self.spec.unit_extra, "unit"),
            ("Service", self.spec.service_extra, "service"),
        ):
            for name, values in items:
                path: KeyPath = (table, "extra", name)
                if name in MANAGED_DIRECTIVES:
                    self.error("S240", f"{name}= is written by unitgen", path, f"use {MANAGED_DIRECTIVES[name]}")
                    continue
                if name.startswith("Exec"):
                    self.error(
                        "S240",
                        f"{name}= is not accepted as a passthrough",
                        path,
                        "unitgen writes the commands from [container]",
                    )
                    continue
                if not directives.is_known(section, name):
                    vocabulary = directives.KNOWN.get(section, frozenset())
                    self.error(
                        "S241",
                        f"systemd 252 has no [{section}] directive {name!r}",
                        path,
                        did_you_mean(name, vocabulary) or f"see systemd.{section.lower()}(5)",
                    )
                    continue
                for i, value in enumerate(values):
                    known = self.literal(value)
                    problem = passthrough_problem(section, name, known) if known is not None else None
                    if problem:
                        self.error("S242", f"{name}={value}: {problem}", (*path, i) if len(values) > 1 else path)

    def container(self) -> None:
        container = self.spec.container
        for var in container.env:
            path: KeyPath = ("container", "env", var.name)
            if not env_name_is_valid(var.name):
                self.error(
                    "S250", f"{var.name!r} is not a valid environment variable name", path, "use [A-Za-z_][A-Za-z0-9_]*"
                )
                continue
            if var.declared_not_secret:
                continue
            value = self.literal(var.value)
            problem = secret_problem(var.name, value) if value is not None else None
            if problem:
                self.error(
                    "S601",
                    f"{problem}; units are stored in etcd and readable across the cluster",
                    path,
                    'fetch it from S3 with [[container.secrets]], or mark a harmless value { value = "…", secret = false }',
                )
        for i, port in enumerate(container.ports):
            known = self.literal(port)
            problem = port_problem(known) if known is not None else None
            if problem:
                self.error(
                    "S251",
                    f"{port!r} is not a port mapping docker accepts: {problem}",
                    ("container", "ports", i),
                    'e.g. "8000:8000", "127.0.0.1:8000:8000/udp" or "[::1]:8000-8001:8000-8001"',
                )
        for i, volume in enumerate(container.volumes):
            known = self.literal(volume)
            if known is not None:
                problem = volume_problem(known)
                if problem:
                    self.error("S252", problem, ("container", "volumes", i), "write 'host-path:container-path[:ro]'")
        for i, env_file in enumerate(container.env_files):
            known = self.literal(env_file)
            if known is not None and not known.startswith("/"):
                self.error("S253", f"env file {env_file!r} is not an absolute path", ("container", "env_files", i))
        for i, arg in enumerate(container.docker_args):
            flag = arg.split("=", 1)[0]
            if flag in FORBIDDEN_DOCKER_ARGS:
                self.error(
                    "S254",
                    f"docker_args must not contain {flag!r}",
                    ("container", "docker_args", i),
                    FORBIDDEN_DOCKER_ARGS[flag],
                )

    def secrets(self) -> None:
        names = set()
        for i, secret in enumerate(self.spec.container.secrets):
            path: KeyPath = ("container", "secrets", i)
            if not FILE_NAME.fullmatch(secret.file_name):
                self.error("S260", f"secret file name {secret.file_name!r} is not a plain file name", (*path, "name"))
            elif secret.file_name in names or secret.file_name == "runtime.env":
                self.error("S260", f"secret file name {secret.file_name!r} is used twice", (*path, "name"))
            names.add(secret.file_name)
            for field, value in (("bucket", secret.bucket), ("key", secret.key)):
                if not value:
                    self.error(
                        "S261",
                        f"secret {field} is missing or empty",
                        (*path, field),
                        f'add {field} = "…" to this [[container.secrets]] entry',
                    )

    def placement(self) -> None:
        placement = self.spec.placement
        machine_id = self.literal(placement.machine_id) if placement.machine_id is not None else None
        if machine_id is not None and not MACHINE_ID.fullmatch(machine_id):
            self.error(
                "S270",
                f"{placement.machine_id!r} is neither a machine ID (32 lower-case hex digits) nor its first 8",
                ("fleet", "machine_id"),
            )
        for key, values in placement.machine_metadata:
            path: KeyPath = ("fleet", "machine_metadata", key)
            if not key or "=" in key or key != key.strip() or "," in key:
                self.error("S271", f"metadata key {key!r} cannot match: fleet needs key=value with a plain key", path)
            for value in values:
                if not value or "=" in value or value != value.strip():
                    self.error(
                        "S271",
                        f"metadata value {value!r} for {key!r} would be dropped silently by fleet",
                        path,
                        "use a non-empty value without '=' or surrounding blanks",
                    )
                elif "," in value:
                    self.warning(
                        "S272",
                        f"metadata value {value!r} contains ',', which fleet's machine metadata cannot hold",
                        path,
                    )
                elif len(value.split()) > 1:
                    self.warning(
                        "S274",
                        f"metadata value {value!r} for {key!r} holds a blank, so it is one value with a blank in it",
                        path,
                        f"for several accepted values write a list: {toml_key(key)} = {toml_list(value.split())}",
                    )
        for i, pattern in enumerate(placement.replaces):
            if len(pattern.split()) > 1:
                self.warning(
                    "S274",
                    f"replaces pattern {pattern!r} holds a blank: fleet reads it as one pattern, and no unit name "
                    "holds a blank, so it replaces nothing",
                    ("fleet", "replaces", i),
                    f"write each pattern as its own string: replaces = {toml_list(pattern.split())}",
                )
        if placement.global_ and self.spec.is_template:
            self.error(
                "S273", "a global unit cannot have instances", ("instances",), "remove [instances] or fleet.global"
            )

    def presence(self) -> None:
        presence = self.spec.presence
        if presence.elb is not None and not presence.elb.load_balancer:
            self.error("S280", "presence.elb needs load_balancer", ("presence", "elb"))
        etcd = presence.etcd
        if etcd is not None:
            if etcd.port is not None and not 0 < etcd.port < 65536:
                self.error("S281", f"port {etcd.port} is out of range", ("presence", "etcd", "port"))
            if etcd.ttl <= 0 or etcd.interval <= 0:
                self.error("S281", "ttl and interval must be positive", ("presence", "etcd"))
            elif etcd.interval >= etcd.ttl:
                self.error(
                    "S281",
                    f"interval {etcd.interval}s is not below ttl {etcd.ttl}s: the key would expire between refreshes",
                    ("presence", "etcd", "interval"),
                )

    def hooks(self) -> None:
        for key, _ in Hooks.DIRECTIVES:
            for i, command in enumerate(getattr(self.spec.hooks, key)):
                path: KeyPath = ("hooks", key, i)
                if not command.argv:
                    self.error(
                        "S295", "the command's argv is empty", path, 'write the program first: ["/usr/bin/…", …]'
                    )
                    continue
                for word in command.argv[1:]:
                    literal = self.literal(word)
                    problem = secret_problem(None, literal) if literal is not None else None
                    if problem:
                        self.error(
                            "S602",
                            f"{problem}; units are stored in etcd and readable across the cluster",
                            path,
                            "let the command read it from a secret env file ([[container.secrets]] fetches one)",
                        )
                program = self.literal(command.argv[0])
                if program is not None and not program.startswith("/"):
                    self.error(
                        "S296",
                        f"program {program!r} is not an absolute path",
                        path,
                        "write its full path, e.g. '/usr/bin/etcdctl'; for a shell pipeline use ['/bin/sh', '-c', '…']",
                    )
