"""The spec format as data: every key, its type, how it merges, and its documentation.

One definition serves the loader (types, unknown keys, did-you-mean), the merge of
defaults/extends/environments, ``unitgen schema`` (JSON Schema) and the key reference
in ``docs/spec.md`` (a test keeps the two identical).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import attrs

# Kinds of values.  "names" lists merge by union (defaults add docker.service to every
# spec's After=); "argv" lists replace (a command is one thing, not a set).
STRING = "string"
INTEGER = "integer"
BOOLEAN = "boolean"
NAMES = "names"  # list of strings, merged by union
ARGV = "argv"  # list of strings, replaced as a whole
STRING_MAP = "string-map"  # table of string -> string
METADATA_MAP = "metadata-map"  # table of string -> string or list of strings
ENV_MAP = "env-map"  # table of string -> string or {value, secret}
DIRECTIVE_MAP = "directive-map"  # table of Directive -> string or list of strings
TABLE = "table"
TABLE_LIST = "table-list"  # array of tables, replaced as a whole
TABLE_MAP = "table-map"  # table of name -> table of one shape
COMMANDS = "commands"  # array of argv lists or { argv, ignore_failure } tables, replaced as a whole


@attrs.frozen
class Key:
    kind: str
    doc: str
    example: str = ""
    enum: tuple[str, ...] = ()
    nonempty: bool = False  # a STRING that must not be "" (its default is taken only when the key is absent)
    fields: Mapping[str, Key] = MappingProxyType({})  # by TOML name; for TABLE, TABLE_LIST, TABLE_MAP


def table(doc: str, **fields: Key) -> Key:
    """A TABLE key; a field named like a Python keyword ends in '_' (``global_``), its TOML key does not."""
    return Key(TABLE, doc, fields={name.rstrip("_"): key for name, key in fields.items()})


ENV_VALUE_TABLE = table(
    "An environment value with its secrecy stated.",
    value=Key(STRING, "The value."),
    secret=Key(BOOLEAN, "false: this value is not a secret, though its name or shape suggests one."),
)

RESTART_VALUES = ("no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always")

UNIT = table(
    "The [Unit] section: name, description and relations to other units.",
    name=Key(
        STRING,
        "Unit name without suffix; defaults to the file stem (an empty name is an error). Must be a valid systemd unit name.",
        '"web"',
        nonempty=True,
    ),
    description=Key(STRING, "Description=. Literal text; control characters are refused.", '"Django web app"'),
    after=Key(NAMES, "After=: spec names (`web`) or external units (`docker.service`).", '["docker.service"]'),
    before=Key(NAMES, "Before=.", '["nginx"]'),
    requires=Key(NAMES, "Requires=.", '["docker.service"]'),
    wants=Key(NAMES, "Wants=.", '["etcd.service"]'),
    binds_to=Key(NAMES, "BindsTo=.", '["web"]'),
    part_of=Key(NAMES, "PartOf=.", '["web"]'),
    conflicts=Key(NAMES, "Conflicts= (systemd's, on the same host; for placement see [fleet]).", '["legacy.service"]'),
    extra=Key(
        DIRECTIVE_MAP,
        "Any other [Unit] directive systemd 252 knows, checked against its vocabulary. Values are literal "
        "text like every other string; a list gives the directive once per item.",
        '{ Documentation = "https://example.com/runbook" }',
    ),
)

SERVICE = table(
    "The [Service] section.",
    restart=Key(STRING, "Restart=.", '"always"', enum=RESTART_VALUES),
    restart_sec=Key(STRING, "RestartSec=, a systemd time span.", '"10s"'),
    timeout_start_sec=Key(STRING, "TimeoutStartSec=; 0 (no limit) by default because image pulls are slow.", '"0"'),
    timeout_stop_sec=Key(STRING, "TimeoutStopSec=, a systemd time span.", '"30s"'),
    user=Key(STRING, "User= the commands run as.", '"core"'),
    extra=Key(DIRECTIVE_MAP, "Any other [Service] directive systemd 252 knows.", '{ LimitNOFILE = "65536" }'),
)

SECRET = table(
    "An env file fetched from S3 before the container starts.",
    bucket=Key(STRING, "S3 bucket.", '"djed-secrets"'),
    key=Key(STRING, "Object key; templates allowed, typically the environment.", '"{{ vars.environment }}.env"'),
    name=Key(STRING, "File name under the unit's runtime directory; defaults to `secrets-N.env`.", '"app.env"'),
    optional=Key(BOOLEAN, "When true a failed fetch does not stop the start (the file is then empty).", "false"),
)

CONTAINER = table(
    "The Docker container the service runs.",
    name=Key(STRING, "Container name (`docker run --name`); defaults to the unit name.", '"web"'),
    image=Key(STRING, "Image repository, optionally with `:tag` or `@digest`.", '"djedstudios/app"'),
    tag=Key(STRING, "Image tag; templates allowed (`{{ runtime.version }}`, `{{ vars.version }}`).", '"v41"'),
    digest=Key(STRING, "Image digest (`sha256:…`), instead of a tag.", '"sha256:…"'),
    pull=Key(BOOLEAN, "Pull the image before every start (default true).", "true"),
    command=Key(
        ARGV, "The command and its arguments after the image, as an argv list.", '["uwsgi", "--ini", "/app/uwsgi.ini"]'
    ),
    env=Key(
        ENV_MAP,
        'Environment variables (`-e NAME=value`); a value may be `{ value = "…", secret = false }`.',
        '{ DJANGO_SETTINGS_MODULE = "djed.settings" }',
    ),
    env_files=Key(NAMES, "Host env files passed with `--env-file`.", '["/etc/djed/common.env"]'),
    volumes=Key(
        NAMES, "Volumes (`-v`), `host:container[:options]` or a named volume.", '["/var/run/djed:/var/run/djed"]'
    ),
    ports=Key(
        NAMES,
        "Published ports (`-p`), `[ip:][host:]container[/protocol]`: ports 1-65535 or ranges `low-high`, "
        "protocol tcp, udp or sctp, an IPv4 address or an IPv6 one in brackets, as docker takes them.",
        '["8000:8000"]',
    ),
    docker_args=Key(
        ARGV, "Extra `docker run` arguments, as argv, placed before the image.", '["--log-driver", "journald"]'
    ),
    secrets=Key(TABLE_LIST, "Env files fetched from S3 before start, passed with `--env-file`.", fields=SECRET.fields),
)

FLEET = table(
    "The [X-Fleet] section: where fleet may schedule the unit.",
    global_=Key(BOOLEAN, "Global=true: run on every machine that matches machine_metadata.", "true"),
    machine_metadata=Key(
        METADATA_MAP, "MachineMetadata: same key = any of the values, different keys = all.", '{ role = "django" }'
    ),
    machine_of=Key(NAMES, "MachineOf: spec names or unit names that must already run on the machine.", '["web"]'),
    conflicts=Key(NAMES, "Conflicts: unit name globs that must not run on the same machine.", '["web@*.service"]'),
    machine_id=Key(STRING, "MachineID: a full machine ID.", '"2c2ea1c3f4d44f7e8e41bd8c0c1cb0c5"'),
    replaces=Key(NAMES, "Replaces: unit name globs this unit displaces.", '["old-web.service"]'),
)

INSTANCES = table(
    "Run several instances: the spec compiles to a template `NAME@.service`.",
    names=Key(NAMES, "Instance names to start.", '["1", "2", "3"]'),
    spread=Key(BOOLEAN, "Add `Conflicts=NAME@*.service` so no two instances share a machine (default true).", "true"),
)

PRESENCE = table(
    "Presence notifiers: sidekick units bound to this service.",
    elb=table(
        "Add the machine to an AWS Elastic Load Balancer while the service runs.",
        load_balancer=Key(STRING, "Load balancer name.", '"djed-prod"'),
        image=Key(
            STRING, "Notifier image; defaults to the project's `presence.elb_image`.", '"djedstudios/elb-presence"'
        ),
    ),
    etcd=table(
        "Announce `host:port` under an etcd key with a TTL while the service runs.",
        key=Key(STRING, "Key; defaults to `/services/NAME/{{ hostname }}`.", '"/services/web/{{ hostname }}"'),
        port=Key(INTEGER, "Port announced with the host.", "8000"),
        ttl=Key(INTEGER, "TTL of the key in seconds (default 60).", "60"),
        interval=Key(INTEGER, "Refresh interval in seconds (default 45; below the TTL).", "45"),
    ),
)

HOOK_COMMAND = table(
    "One host command: its argv, and whether its failure is ignored.",
    argv=Key(
        ARGV, "The program (an absolute path) and its arguments, exactly as it receives them.", '["/usr/bin/true"]'
    ),
    ignore_failure=Key(
        BOOLEAN, "true: a failure (non-zero exit) does not fail the unit (systemd's `-` prefix).", "true"
    ),
)


def _commands(doc: str, example: str) -> Key:
    return Key(
        COMMANDS,
        doc + " Each entry is an argv array or `{ argv = […], ignore_failure = true }`.",
        example,
        fields=HOOK_COMMAND.fields,
    )


HOOKS = table(
    "Host commands around the container's lifecycle, each an exact argv (never a shell string: "
    'for a pipeline write `["/bin/sh", "-c", "…"]`). They run on the machine, not in the container.',
    before_start=_commands(
        "ExecStartPre=: run in order after unitgen's own steps (runtime values, removal of a leftover container, "
        "pull, secrets) and before the container starts; a failure fails the start.",
        '[["/usr/bin/mkdir", "-p", "/var/lib/web"]]',
    ),
    after_start=_commands(
        "ExecStartPost=: run in order once `docker run` has been started.",
        '[["/usr/bin/etcdctl", "set", "/web/up", "1"]]',
    ),
    stop=_commands(
        "ExecStop=: run in order before unitgen's `docker stop`, which always stops the container last "
        "(deregister or drain here).",
        '[{ argv = ["/usr/bin/etcdctl", "rm", "/web/up"], ignore_failure = true }]',
    ),
    after_stop=_commands(
        "ExecStopPost=: run in order after the container has stopped, also after a failed start.",
        '[{ argv = ["/usr/bin/docker", "rm", "-f", "web"], ignore_failure = true }]',
    ),
)


COMPOSE = table(
    'How `unitgen compose` treats this spec (Compose files: docs/spec.md, "Compose files").',
    only=Key(
        BOOLEAN,
        "true: the service exists only in Compose files (a dev database): it compiles to no unit (default false).",
        "true",
    ),
    include=Key(
        BOOLEAN,
        "false: leave the service out of the Compose file, typically in an environment overlay (default true).",
        "false",
    ),
)

DEPLOY_STRATEGIES = ("all-at-once", "rolling")

DEPLOY = table(
    "Deploys through the etcd version key: an updater and a keeper unit beside the service on every "
    "machine (docs/deploy.md).",
    version=Key(
        STRING,
        "The `[runtime]` name whose etcd key holds the version to deploy; `container.tag` must be exactly "
        "`{{ runtime.NAME }}` (default `version`).",
        '"version"',
        nonempty=True,
    ),
    strategy=Key(
        STRING,
        "`all-at-once` restarts every machine together once all have pulled (default); `rolling` restarts "
        "`batch_size` machines at a time, each batch healthy before the next.",
        '"rolling"',
        enum=DEPLOY_STRATEGIES,
    ),
    batch_size=Key(INTEGER, "Machines a rolling deploy restarts together (default 1).", "1"),
    maintenance=Key(
        TABLE_LIST,
        "Commands run once per version, by the leader, in the new image with the service's env files "
        "and volumes, after every machine has pulled and before any restart.",
        fields=table(
            "A maintenance command.",
            command=Key(ARGV, "Its argv, run in the new image.", '["python", "manage.py", "migrate"]'),
        ).fields,
    ),
    health=Key(
        ARGV,
        "A check run in the restarted container (`docker exec`); a machine is healthy when its unit is active "
        "and this succeeds (default: the unit is active).",
        '["curl", "-fs", "http://localhost:8000/"]',
    ),
    health_timeout=Key(INTEGER, "Seconds a restarted machine has to become healthy (default 60).", "60"),
    ttl=Key(INTEGER, "Seconds after which a dead leader's or machine's etcd key expires (default 30).", "30"),
    poll=Key(INTEGER, "Seconds between two looks at etcd (default 5; below ttl).", "5"),
    relaunch_limit=Key(
        INTEGER, "Maintenance mode: relaunches of the failed service before it gives up (default 5).", "5"
    ),
    relaunch_backoff=Key(
        INTEGER, "Maintenance mode: seconds before the first relaunch, doubled for each next one (default 10).", "10"
    ),
    after=Key(
        NAMES,
        "Specs deployed from the same version key whose maintenance of a version must be done before this "
        "service restarts onto it (each with `[deploy]`; no cycles); if one of their deploys fails before its "
        "maintenance is done, this one fails too.",
        '["web"]',
    ),
)

SPEC_FIELDS: dict[str, Key] = {
    "extends": Key(STRING, "Name of another spec this one starts from (see merge rules).", '"web"'),
    "unit": UNIT,
    "service": SERVICE,
    "container": CONTAINER,
    "fleet": FLEET,
    "instances": INSTANCES,
    "presence": PRESENCE,
    "compose": COMPOSE,
    "deploy": DEPLOY,
    "hooks": HOOKS,
}

# What an environment overlay (in a spec or in the project) may override: everything a
# spec says, except what would change its identity.
OVERLAY_FIELDS: dict[str, Key] = {k: v for k, v in SPEC_FIELDS.items() if k != "extends"}

SPEC = Key(
    TABLE,
    "A service spec.",
    fields={
        **SPEC_FIELDS,
        "environments": Key(TABLE_MAP, "Per-environment overrides, merged over this spec.", fields=OVERLAY_FIELDS),
    },
)

PROJECT = Key(
    TABLE,
    "Project-wide settings (`specs/unitgen.toml`).",
    fields={
        "paths": table(
            "Absolute paths of the tools on the target machines.",
            docker=Key(STRING, "docker client (default `/usr/bin/docker`).", '"/usr/bin/docker"'),
            etcdctl=Key(STRING, "etcdctl (default `/usr/bin/etcdctl`).", '"/usr/bin/etcdctl"'),
            sh=Key(STRING, "POSIX shell for the few generated loops (default `/bin/sh`).", '"/bin/sh"'),
            touch=Key(STRING, "touch, for optional secrets (default `/usr/bin/touch`).", '"/usr/bin/touch"'),
            systemctl=Key(
                STRING, "systemctl, for the deploy units (default `/usr/bin/systemctl`).", '"/usr/bin/systemctl"'
            ),
            fleetctl=Key(
                STRING,
                "fleetctl for `unitgen submit`, on the machine that runs it (not a target machine): a bare name is "
                "looked up on PATH, a relative path is relative to the specs directory's parent (default `fleetctl`).",
                '"/opt/bin/fleetctl"',
            ),
        ),
        "project": Key(
            STRING,
            "The project's name in the fleet cluster, written in every unit's `[X-Unitgen]` section so that "
            "`unitgen status` and `unitgen submit --prune` tell its units from another project's; letters, digits, "
            "`.`, `-`, `_` (default: the specs directory's name; `--prune` needs it set).",
            '"djed"',
        ),
        "registry": Key(STRING, "Registry prefix for images that name no registry host.", '"registry.example.com"'),
        "etcd_api": Key(STRING, "etcdctl API version: `2` (`etcdctl get KEY`) or `3`.", '"2"', enum=("2", "3")),
        "output": Key(STRING, "Output directory, relative to the specs directory's parent (default `out`).", '"out"'),
        "vars": Key(
            STRING_MAP,
            "Compile-time values for `{{ vars.NAME }}`; `--set NAME=VALUE` overrides.",
            '{ version = "v41" }',
        ),
        "runtime": Key(
            STRING_MAP,
            "Values read from etcd at start: `{{ runtime.NAME }}` reads the key given here, unless `--set NAME=…` pins it.",
            '{ version = "/djed-version" }',
        ),
        "fetcher": table(
            "The container that fetches secret env files from S3 (authorised by the machine's IAM profile).",
            image=Key(STRING, "Fetcher image (default `jcderr/s3fetch`).", '"jcderr/s3fetch"'),
            command=Key(
                ARGV,
                "Its argv; `{bucket}`, `{key}` and `{dest}` are replaced.",
                '["python", "/opt/app/s3fetch.py", "{bucket}", "{key}", "{dest}"]',
            ),
        ),
        "presence": table(
            "Defaults for presence sidekicks.",
            elb_image=Key(
                STRING, "ELB notifier image (default `djedstudios/elb-presence`).", '"djedstudios/elb-presence"'
            ),
        ),
        "defaults": Key(TABLE, "A partial spec merged under every spec.", fields=OVERLAY_FIELDS),
        "environments": Key(
            TABLE_MAP,
            "Environments (prod, stage, test): each compiles every spec into `out/<env>/`.",
            fields={
                "vars": Key(
                    STRING_MAP,
                    "Compile-time values for this environment (`environment` is set to its name).",
                    '{ bucket = "djed-prod" }',
                ),
                "defaults": Key(
                    TABLE, "A partial spec merged over every spec in this environment.", fields=OVERLAY_FIELDS
                ),
                "cluster": Key(
                    BOOLEAN,
                    "false: a local environment, for `unitgen compose` only: no units are compiled for it (default true).",
                    "false",
                ),
            },
        ),
        "compose": Key(
            TABLE_MAP,
            "Compose files generated from the specs, one per environment (`unitgen compose`; `unitgen check` "
            "checks them).",
            fields={
                "file": Key(
                    STRING,
                    "The Compose file, relative to the specs directory's parent.",
                    '"fig.yml"',
                    nonempty=True,
                ),
                "secrets_dir": Key(
                    STRING,
                    "Local directory holding a copy of each secret env file as `BUCKET/KEY`, relative to the Compose "
                    "file (`--secrets-dir` overrides).",
                    '"secrets"',
                ),
                "pins": Key(
                    STRING_MAP,
                    "Values pinned for this Compose file, as `--set` pins them (a runtime value needs one).",
                    '{ version = "latest" }',
                ),
            },
        ),
    },
)
