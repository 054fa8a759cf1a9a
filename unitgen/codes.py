"""Every diagnostic code unitgen can report, the compiler's and lint's: one table.

A code names one kind of problem: users look it up and scripts filter on it
(``unitgen lint --select``/``--ignore``).  Each entry gives the code's default severity,
a short name and what it means.  ``reference_markdown`` renders the table as
docs/codes.md; tests/test_codes.py checks that every code the source raises is here,
that every code here is raised, and that the severities agree.

Severity follows the target.  An error is something systemd 252 or fleet v1.0.0 refuses,
or a spec that cannot be compiled as written: the command fails and nothing is written.
A warning is accepted by both but is probably not what the author meant.
"""

from __future__ import annotations

import enum

import attrs


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@attrs.frozen
class Code:
    code: str
    severity: Severity
    name: str  # kebab-case, for people: the code is what tools match
    meaning: str  # one line: what went wrong and, where useful, what to do


@attrs.frozen
class Group:
    prefix: str  # every code of the group starts with it
    title: str


E = Severity.ERROR
W = Severity.WARNING
N = Severity.NOTE

GROUPS = (
    Group("S0", "S0xx: reading the spec files"),
    Group("S1", "S1xx: keys and types of a spec or unitgen.toml"),
    Group("S2", "S2xx: the values of one spec"),
    Group("S3", "S3xx: specs checked against each other"),
    Group("S4", "S4xx: templates and quoting"),
    Group("S5", "S5xx: the compiled unit files"),
    Group("S6", "S6xx: credentials in specs"),
    Group("C", "C1xx: Compose files (unitgen compose)"),
    Group("O", "O1xx: the output directory"),
    Group("V", "Vxxx: systemd-analyze verify (--verify)"),
    Group("L1", "L1xx: line syntax of unit files"),
    Group("L2", "L2xx: directives and their values"),
    Group("L3", "L3xx: Exec lines"),
    Group("L4", "L4xx: fleet v1.0.0"),
    Group("L5", "L5xx: credentials written into a unit"),
    Group("I", "Ixxx: unitgen import"),
)

TABLE = (
    # S0xx: the spec files as bytes and TOML
    Code("S000", E, "no-specs", "the specs directory holds no spec files (*.toml): nothing is compiled or removed"),
    Code("S001", E, "unreadable-file", "a spec file or unitgen.toml cannot be read (the message gives the reason)"),
    Code("S002", E, "not-utf8", "a spec file or unitgen.toml is not UTF-8, which TOML requires: save it as UTF-8"),
    Code("S003", E, "invalid-toml", "a spec file or unitgen.toml is not valid TOML (the message says why and where)"),
    Code(
        "S004",
        W,
        "ignored-file",
        "a file that looks like a spec is not compiled: a '.TOML' name, or a spec in a subdirectory (rename or move it)",
    ),
    # S1xx: the shape of the data, against the schema
    Code("S100", E, "unknown-key", "a key the format does not have: a typo or a key in the wrong table (see the hint)"),
    Code("S101", E, "wrong-type", "a value of the wrong TOML type; the message names the type the key takes"),
    Code("S102", E, "invalid-choice", "a string that is not one of the key's allowed values, which the hint lists"),
    Code(
        "S104", E, "env-value-missing", 'a [container.env] table without value: write { value = "…", secret = false }'
    ),
    Code("S105", E, "missing-image", "no container.image in the spec, the specs it extends or the project defaults"),
    Code("S106", E, "empty-value", "an empty string where the key needs text: remove the key to get its default"),
    Code("S107", E, "hook-argv-missing", "a [hooks] command written as a table without argv: write { argv = […] }"),
    # S2xx: the values of one spec (and of unitgen.toml's environments)
    Code("S201", E, "undeclared-environment", "an overlay for an environment that unitgen.toml does not declare"),
    Code("S202", E, "unknown-base", "extends names a spec that does not exist"),
    Code("S203", E, "extends-cycle", "specs extend each other in a cycle"),
    Code(
        "S204",
        E,
        "bad-environment-name",
        "an environment name that cannot be a directory below out/: use [A-Za-z0-9_-]",
    ),
    Code("S205", E, "undeclared-compose-environment", "[compose.ENV] for an environment the project does not declare"),
    Code("S206", E, "bad-project-name", "unitgen.toml's project is not one word of [A-Za-z0-9._-]"),
    Code(
        "S210",
        E,
        "bad-spec-name",
        "the spec's name (file stem or unit.name) is not usable as a unit name, or too long for one",
    ),
    Code(
        "S211",
        E,
        "bad-instance",
        "an instance name with characters a unit name cannot hold, listed twice, or making one too long",
    ),
    Code("S212", E, "bad-container-name", "container.name is not a valid docker container name"),
    Code("S220", E, "bad-image-name", "container.image is not a valid image repository name"),
    Code(
        "S221", E, "conflicting-image-pins", "the image names one tag and container.tag another, or a tag and a digest"
    ),
    Code("S222", E, "bad-image-pin", "an image tag or digest that docker does not accept"),
    Code("S223", W, "unpinned-image", "an image without tag or digest: every start pulls whatever 'latest' is then"),
    Code("S230", E, "bad-service-time-span", "a service timeout or restart_sec that is not a systemd time span"),
    Code("S231", E, "bad-user-name", "service.user is not a valid user name"),
    Code(
        "S240",
        E,
        "managed-extra-directive",
        "an extra directive that unitgen writes itself (or an Exec*=): use the spec key",
    ),
    Code("S241", E, "unknown-extra-directive", "an extra directive that systemd 252 does not have in that section"),
    Code("S242", E, "bad-extra-value", "an extra directive's value that systemd 252 would reject"),
    Code("S250", E, "bad-env-name", "a [container.env] name that is not a valid environment variable name"),
    Code("S251", E, "bad-port", "a container.ports entry that is not [ip:]host:container[/tcp|udp]"),
    Code("S252", E, "bad-volume", "a container.volumes entry that is not host-path:container-path[:options]"),
    Code("S253", E, "relative-env-file", "a container.env_files entry that is not an absolute path"),
    Code(
        "S254",
        E,
        "forbidden-docker-arg",
        "a docker_args flag that unitgen sets itself, or that would fight systemd's supervision",
    ),
    Code("S260", E, "bad-secret-file-name", "a secret's file name that is not a plain file name, or is used twice"),
    Code("S261", E, "incomplete-secret", "a [[container.secrets]] entry without bucket or key"),
    Code(
        "S270",
        E,
        "bad-machine-id",
        "fleet.machine_id is neither a machine ID (32 lower-case hex digits) nor its first 8: no machine matches it",
    ),
    Code(
        "S271",
        E,
        "unmatchable-metadata",
        "a machine_metadata key or value that fleet cannot match or drops silently (on unit files: L406)",
    ),
    Code(
        "S272", W, "comma-in-metadata", "a machine_metadata value with ',', which fleet's machine metadata cannot hold"
    ),
    Code("S273", E, "global-template", "a global unit with instances: fleet.global and [instances] exclude each other"),
    Code(
        "S274",
        W,
        "blank-in-fleet-value",
        "a machine_metadata value or fleet.replaces pattern with a blank: one value, where a TOML list gives several",
    ),
    Code("S280", E, "elb-without-balancer", "presence.elb without load_balancer"),
    Code(
        "S281",
        E,
        "bad-etcd-presence",
        "presence.etcd: a port out of range, a ttl or interval not positive, or an interval not below the ttl",
    ),
    Code("S295", E, "empty-hook", "a [hooks] command with an empty argv: there is no program to run"),
    Code(
        "S296",
        E,
        "relative-hook-program",
        "a [hooks] command whose program is not an absolute path (unitgen writes every program by its full path)",
    ),
    Code(
        "S290",
        E,
        "deploy-without-version-tag",
        "deploy.version is no [runtime] name, or container.tag is not exactly {{ runtime.NAME }} of it",
    ),
    Code("S291", E, "bad-deploy-timing", "a deploy count or time that is not positive, or a poll not below the ttl"),
    Code("S292", E, "deploy-of-template", "a spec with instances has [deploy]: deploys restart one unit per machine"),
    Code("S293", E, "empty-maintenance-command", "a deploy.maintenance entry without a command"),
    # S3xx: across the specs of one environment
    Code("S301", E, "duplicate-spec-name", "two spec files have the same name; the later one is left out"),
    Code("S302", E, "duplicate-unit", "two specs produce the same unit file (a unit or one of its sidekicks)"),
    Code(
        "S303",
        E,
        "units-differ-in-case",
        "two units whose names differ only in case: one file on a case-insensitive filesystem (macOS, Windows)",
    ),
    Code("S310", E, "unknown-spec", "a relation names neither a spec nor a unit with a suffix, e.g. 'docker.service'"),
    Code(
        "S311",
        E,
        "template-reference",
        "a relation or fleet.machine_of names a template, which never runs: name one of its instances",
    ),
    Code(
        "S312", E, "bad-relation-name", "a relation or fleet.machine_of names something that is not a valid unit name"
    ),
    Code(
        "S313",
        E,
        "compose-only-reference",
        "a unit names a spec of Compose files only ([compose] only), which has no unit",
    ),
    Code("S320", E, "dependency-cycle", "ordering or requirement relations form a cycle; systemd would drop a job"),
    Code("S330", E, "unknown-machine-of", "fleet.machine_of names a spec that does not exist"),
    Code("S331", E, "machine-of-global", "fleet.machine_of names a global unit: fleet can never place this unit"),
    Code(
        "S332",
        E,
        "machine-of-conflict",
        "fleet.machine_of names a unit that this spec's or the peer's conflicts exclude (on unit files: L402)",
    ),
    Code("S340", E, "container-name-clash", "two specs that can share a machine use the same container name"),
    Code("S341", E, "host-port-clash", "two specs that can share a machine publish the same host port"),
    Code(
        "S350",
        E,
        "bad-deploy-after",
        "deploy.after names no spec, itself, a spec without [deploy], or one deployed from another version key",
    ),
    Code("S351", E, "deploy-after-cycle", "deploy.after specs wait for each other in a cycle"),
    # S4xx: turning values into unit-file text
    Code(
        "S401",
        E,
        "unwritable-value",
        "a value that its setting cannot express in a unit file (the hint says what to do)",
    ),
    Code("S402", E, "template-error", "a {{ … }} template that is invalid or names an unknown value"),
    # S5xx: the compiled units
    Code(
        "S501", E, "line-too-long", "a directive needs a line longer than fleet accepts and cannot be broken at a word"
    ),
    Code("S502", E, "refused-compiled-name", "the compiled unit's name is one that systemd or fleet refuses"),
    # S6xx: credentials
    Code(
        "S601",
        E,
        "inline-credential",
        "a container.env value that looks like a credential: units are readable across the cluster",
    ),
    Code(
        "S602",
        E,
        "credential-in-hook",
        "a [hooks] argument that looks like a credential: units are readable across the cluster",
    ),
    # C1xx: Compose files
    Code("C101", E, "unpinned-runtime-value", "a runtime value (read from etcd on the cluster) has no pin for Compose"),
    Code(
        "C102",
        E,
        "no-compose-meaning",
        "a systemd specifier or {{ env.NAME }} in a value of a Compose file, where it means nothing",
    ),
    Code(
        "C103",
        E,
        "no-local-secret",
        "a secret env file without a local copy: no secrets directory, or a bucket/key that is no safe path",
    ),
    Code("C104", E, "untranslatable-docker-args", "container.docker_args, which unitgen cannot write as Compose keys"),
    Code("C105", W, "restart-left-out", "a service.restart policy that Compose does not have: it is left out"),
    Code("C106", E, "bad-compose-service-name", "a spec or instance name that is no Compose service name, or twice"),
    Code("C107", E, "foreign-compose-file", "a file unitgen did not generate is where the Compose file goes"),
    # O1xx: what is already in the output directory
    Code("O101", E, "unreadable-output", "a file in the output directory cannot be read, so unitgen cannot replace it"),
    Code(
        "O102", E, "foreign-file", "a file unitgen did not generate is in the way: it is neither replaced nor removed"
    ),
    Code("O103", E, "edited-file", "a generated file was edited by hand: it is replaced or removed only with --force"),
    Code(
        "O104",
        E,
        "output-os-error",
        "the operating system refused a read or write in the output directory: nothing is changed",
    ),
    # Vxxx: systemd-analyze verify
    Code("V000", N, "no-systemd-analyze", "systemd-analyze is not installed, so --verify checked nothing"),
    Code("V001", E, "analyze-failed", "systemd-analyze could not be run, or failed without verifying"),
    Code("V100", E, "analyze-finding", "systemd-analyze verify found a problem in a unit"),
    # L1xx: the line grammar of systemd 252 and of fleet's go-systemd parser
    Code("L100", E, "unreadable-unit", "the unit file cannot be read"),
    Code("L101", E, "bad-section-header", "invalid section header: systemd refuses to load the unit"),
    Code("L102", E, "unread-section", "section unknown for this unit type: systemd ignores all of it"),
    Code("L103", E, "assignment-outside-section", "assignment before the first section: systemd ignores it"),
    Code("L104", E, "line-without-equals", "line without '=' (or key): systemd ignores it, fleet refuses the unit"),
    Code("L105", E, "line-too-long-for-fleet", "physical line of 2048 bytes or more: fleet's parser refuses it"),
    Code("L106", E, "line-too-long-for-systemd", "physical line of 1 MiB or more: systemd refuses to load the unit"),
    Code("L107", E, "invalid-utf8", "invalid UTF-8: systemd ignores the assignment and fails the unit"),
    Code("L108", E, "line-break-inside-line", "NUL or lone CR inside a line: systemd ends the line there"),
    Code("L109", W, "control-character", "control character in a line"),
    Code("L110", E, "fleet-parse-error", "fleet's parser (go-systemd) fails on the file: fleetctl refuses it"),
    Code("L111", W, "fleet-reads-differently", "fleet's parser reads these lines differently from systemd"),
    Code(
        "L112", W, "continuation-ends-at-blank", "a continuation is ended by a blank line; the next lines stand alone"
    ),
    Code(
        "L113", W, "continuation-swallows-line", "a continuation swallows a line that looks like a header or assignment"
    ),
    # L2xx: directives and their values
    Code("L201", E, "unknown-directive", "key unknown in this section: systemd ignores it"),
    Code("L202", W, "removed-directive", "option removed from systemd: accepted and ignored"),
    Code("L203", W, "deprecated", "deprecated option or value: still applied, with a warning"),
    Code("L204", E, "bad-boolean", "invalid boolean: systemd ignores the setting"),
    Code("L205", E, "bad-time-span", "invalid time span: systemd ignores the setting"),
    Code("L206", E, "bad-choice", "value not among the allowed ones: systemd ignores the setting"),
    Code("L207", E, "bad-unit-reference", "invalid unit name where a unit is expected"),
    Code("L208", E, "bad-specifier", "specifier not valid for this setting (Invalid slot)"),
    Code("L209", E, "dropped-environment", "Environment= assignment that systemd drops"),
    Code("L210", E, "relative-path", "path that must be absolute is not"),
    Code("L211", E, "bad-unit-file-name", "the file name is not a valid systemd unit name"),
    Code("L212", E, "no-exec-start", "service without ExecStart=: systemd refuses to start it"),
    Code("L213", E, "several-exec-start", "several ExecStart= commands without Type=oneshot: systemd refuses the unit"),
    # L3xx: Exec lines
    Code("L301", E, "unbalanced-quote", "unbalanced quoting in an Exec line: the command is dropped"),
    Code("L302", W, "unknown-escape", "unknown escape sequence in an Exec line: the backslash is kept"),
    Code("L303", E, "bad-executable", "invalid executable path: systemd refuses the unit"),
    Code("L304", W, "glued-semicolon", "';' glued to a word is not a command separator"),
    Code("L305", W, "shell-syntax", "shell syntax outside a shell: passed literally or expanded to nothing"),
    # L4xx: fleet v1.0.0
    Code("L401", E, "exclusive-placement", "X-Fleet options fleet refuses together"),
    Code(
        "L402",
        E,
        "peer-conflicts",
        "MachineOf peer matches a Conflicts glob: fleet refuses the unit (a compile reports S332 where a spec says so)",
    ),
    Code("L403", E, "peer-replaced", "MachineOf peer matches a Replaces glob: fleet refuses the unit"),
    Code("L404", W, "unknown-fleet-key", "unknown X-Fleet key: fleet warns and ignores the constraint"),
    Code("L405", W, "miscased-fleet-section", "X-Fleet section in the wrong case: fleet ignores it silently"),
    Code(
        "L406",
        W,
        "dropped-metadata",
        "MachineMetadata value that is not key=value: dropped silently (a compile reports S271 where a spec says so)",
    ),
    Code("L407", W, "misleading-split", "X-Fleet line that fleet splits differently than it reads"),
    Code("L408", W, "impossible-peer", "MachineOf value that no unit can have: the unit never schedules"),
    Code("L409", W, "literal-specifier", "specifier fleet does not expand in X-Fleet (stays literal)"),
    Code("L410", W, "global-read-as-false", "Global value fleet reads as false"),
    Code("L411", W, "unsatisfiable-peer", "MachineOf unsatisfiable once fleet expands the specifiers"),
    Code("L412", W, "bad-glob", "Conflicts/Replaces glob that Go cannot parse: never matches"),
    Code("L413", W, "deprecated-fleet-key", "deprecated X-Fleet key alias"),
    Code(
        "L414",
        W,
        "unmatched-machine-id",
        "MachineID that no machine matches, or a second one that is ignored (a compile reports S270 for a spec's)",
    ),
    Code("L415", E, "fleet-refuses-name", "unit name fleet refuses"),
    Code("L416", W, "unsubmittable-suffix", "fleetctl cannot submit a file with this suffix"),
    # L5xx: credentials written into the unit
    Code("L501", W, "credential-in-environment", "credential in an environment assignment"),
    Code("L502", W, "credential-in-url", "credential inside a URL"),
    Code("L503", W, "key-in-unit", "cloud access key or private key in the unit"),
    Code(
        "I101",
        N,
        "import-passthrough",
        "a directive with no spec key was kept as passthrough (unit.extra, service.extra)",
    ),
    Code(
        "I102",
        W,
        "import-left-out",
        "a directive, section or option the spec format cannot carry was left out of the spec",
    ),
    Code(
        "I103",
        W,
        "import-unreadable-line",
        "a line neither systemd nor fleet reads as written was left out, not guessed at",
    ),
    Code(
        "I104",
        N,
        "import-by-design",
        "an idiom unitgen writes its own way (restart policy, container name, secret fetch)",
    ),
    Code("I105", W, "import-not-a-service", "a unit that is not one docker run service was not imported"),
    Code(
        "I106",
        W,
        "import-instances-guessed",
        "a template without instance files beside it: its instances.names is a placeholder",
    ),
    Code("I107", W, "import-docker-path", "the unit runs docker from another path than the project's paths.docker"),
    Code(
        "I201",
        E,
        "import-inline-credential",
        "a credential written in the unit was not copied: a placeholder stands in its place (a warning with --allow-secret-placeholders)",
    ),
    Code(
        "I301",
        E,
        "import-would-overwrite",
        "a spec of that name already exists in --into: nothing was written (use --force)",
    ),
)

CODES: dict[str, Code] = {entry.code: entry for entry in TABLE}
# What ``unitgen lint``'s own checks report (with --verify it also reports the V codes).
LINT_CODES: dict[str, Code] = {code: entry for code, entry in CODES.items() if code.startswith("L")}


def severity(code: str) -> Severity:
    return CODES[code].severity


_INTRODUCTION = """\
# Diagnostic codes

<!-- generated by unitgen.codes.reference_markdown() from unitgen/codes.py; tests/test_codes.py keeps it exact -->

Every problem unitgen reports carries a code, printed as
`path:line:column: CODE severity message` (and as `"code"` with `--format json`).
Look a code up here, or filter on it with `unitgen lint --select`/`--ignore`
(prefixes such as `L4` or `L501`).

* **error**: systemd 252 or fleet v1.0.0 refuses it, or the spec cannot be compiled as
  written. The command fails (exit status 1) and `compile` writes nothing.
* **warning**: both accept it, but it is probably not what the author meant. It is
  printed and the command succeeds.
* **note**: information; nothing is wrong with the input.

A code is always reported with the severity listed here, except that
`unitgen lint --strict` reports every warning as an error. The L codes are lint's, and
`unitgen compile` reports some of them too: it checks every unit it generates with
fleet's [X-Fleet] rules (most of L4xx), and the units of specs with extra directives
with all of lint, reporting only lint's errors there. A problem the spec checks also
report is reported once, under the spec's code: S270 (not L414), S271 (not L406),
S274 (not L407), S312 (not L408) and S332 (not L402).
"""


def reference_markdown() -> str:
    """docs/codes.md: the introduction, then one table per group."""
    parts = [_INTRODUCTION]
    for group in GROUPS:
        parts.append(f"\n## {group.title}\n\n| Code | Severity | Name | Meaning |\n|---|---|---|---|\n")
        for entry in TABLE:
            if entry.code.startswith(group.prefix):
                parts.append(f"| `{entry.code}` | {entry.severity.value} | {entry.name} | {_cell(entry.meaning)} |\n")
    return "".join(parts)


def _cell(text: str) -> str:
    """Text for a table cell, where a bare '|' would end the cell."""
    return text.replace("|", "\\|")
