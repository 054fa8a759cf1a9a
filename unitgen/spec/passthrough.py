"""What a spec may pass through to [Unit] and [Service] (``unit.extra``, ``service.extra``):
not the directives unitgen writes itself, and only values systemd 252 reads."""

from __future__ import annotations

from unitgen.systemd import directives
from unitgen.systemd.unitnames import systemd_name_problem
from unitgen.systemd.values import parse_boolean, timespan_problem

# directive -> the spec key that writes it
MANAGED_DIRECTIVES = {
    "Description": "unit.description",
    "After": "unit.after",
    "Before": "unit.before",
    "Requires": "unit.requires",
    "Wants": "unit.wants",
    "BindsTo": "unit.binds_to",
    "PartOf": "unit.part_of",
    "Conflicts": "unit.conflicts",
    "ExecStart": "container.command",
    "ExecStartPre": "hooks.before_start (unitgen writes the container's own steps)",
    "ExecStartPost": "hooks.after_start",
    "ExecStop": "hooks.stop (unitgen writes the container's docker stop)",
    "ExecStopPost": "hooks.after_stop",
    "Environment": "container.env",
    "User": "service.user",
    "Restart": "service.restart",
    "RestartSec": "service.restart_sec",
    "TimeoutStartSec": "service.timeout_start_sec",
    "TimeoutStopSec": "service.timeout_stop_sec",
    "RuntimeDirectory": "container.secrets (unitgen owns the runtime directory)",
}


def passthrough_problem(section: str, name: str, value: str) -> str | None:
    """What systemd 252 would reject in a passthrough value of a typed setting."""
    kind = directives.kind(section, name)
    value_type = kind.type
    if value_type is directives.ValueType.BOOL and parse_boolean(value) is None:
        return "not a boolean (use yes or no)"
    if value_type is directives.ValueType.TIMESPAN:
        return timespan_problem(value)
    if value_type is directives.ValueType.ENUM and kind.choices and value not in kind.choices:
        return "allowed values: " + ", ".join(sorted(kind.choices))
    if value_type in (directives.ValueType.EXEC, directives.ValueType.ENVIRONMENT):
        return "command lines and environments have typed keys in [container] and [hooks]"
    if value_type in (directives.ValueType.UNIT_LIST, directives.ValueType.UNIT_NAME):
        for word in value.split():
            problem = systemd_name_problem(word)
            if problem:
                return f"{word!r}: {problem}"
    is_path = value_type in (directives.ValueType.PATH, directives.ValueType.ENVIRONMENT_FILE)
    if is_path and not value.lstrip("-").startswith("/"):
        return "not an absolute path"
    return None
