"""Spec model → unit IR for the service itself (sidekicks: ``sidekicks``).

The [Unit] section holds the description and the relations; [Service] the settings, the
steps that read runtime values from etcd, then the container's lifecycle (``container``);
[X-Fleet] the placement (``placement``).  Every value goes through ``encoding``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from unitgen.compile.container import RUNTIME_SUBDIR, add_lifecycle, runtime_parts, runtime_read_command
from unitgen.compile.encoding import SpecRenderer
from unitgen.compile.ir import Unit, UnitBuilder
from unitgen.compile.placement import add_placement
from unitgen.diagnostics import Diagnostics
from unitgen.spec.model import Project, Relations, ServiceSpec
from unitgen.spec.names import sidekick_names, unit_reference_parts
from unitgen.spec.source import KeyPath
from unitgen.systemd import quoting
from unitgen.systemd.quoting import QuotingError
from unitgen.systemd.unitnames import systemd_name_problem

DIRECTIVE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")

# (directive, spec attribute) of the [Service] settings written as they are.
_SERVICE_SETTINGS = (
    ("User", "user"),
    ("TimeoutStartSec", "timeout_start_sec"),
    ("TimeoutStopSec", "timeout_stop_sec"),
    ("Restart", "restart"),
    ("RestartSec", "restart_sec"),
)


def _unit_reference(parts: tuple[quoting.Part, ...], directive: str) -> str:
    """A rendered relation: crosscheck judges written names, this what a template gave."""
    reference = unit_reference_parts(parts)
    known = quoting.literal_text(reference)
    problem = systemd_name_problem(known) if known is not None else None
    if problem:
        raise QuotingError(f"{directive}= names {known!r}: {problem}")
    return quoting.plain_value(reference, directive)


class ServiceConverter:
    def __init__(
        self, spec: ServiceSpec, project: Project, variables: Mapping[str, str], diagnostics: Diagnostics
    ) -> None:
        self.spec = spec
        self.project = project
        self.renderer = SpecRenderer(spec, project, variables, diagnostics)
        self.out = UnitBuilder()

    def convert(self) -> Unit:
        self.unit_section()
        # Runtime values must be known before the words that use them are emitted, so the
        # container's lifecycle is built first and the etcd reads are put in front of it.
        lifecycle = UnitBuilder()
        add_lifecycle(self.renderer, lifecycle)
        self.service_settings()
        self.out.extend(lifecycle)
        for name, values in self.spec.service_extra:
            self.extra("Service", name, values, ("service", "extra", name))
        add_placement(self.renderer, self.out)
        return self.out.build(self.spec.unit_name, self.spec.source)

    # [Unit] ------------------------------------------------------------------------------

    def unit_section(self) -> None:
        spec = self.spec
        path: KeyPath = ("unit", "description")
        if spec.description:
            words = self.renderer.encode(spec.description, path, quoting.description_words)
        else:
            try:
                words = quoting.description_words(f"{spec.name} container ({spec.container.image})")
            except QuotingError:  # a name or image that cannot be a description: reported elsewhere
                words = ("unitgen", "container")
        if words is not None:
            self.out.add("Unit", "Description", words, self.renderer.origin(path))
        for key, directive in Relations.DIRECTIVES:
            names = getattr(spec.relations, key)
            if names:
                self.relation(directive, names, ("unit", key))
        self.want_sidekicks()
        for name, values in spec.unit_extra:
            self.extra("Unit", name, values, ("unit", "extra", name))

    def want_sidekicks(self) -> None:
        """BindsTo= stops a sidekick with its service, but nothing would start it again
        when Restart= brings the service back: the service wants its sidekicks."""
        names = sidekick_names(self.spec)
        if not names:
            return
        if self.spec.is_template:
            names = [name.replace("@.service", "@%i.service") for name in names]
        self.out.add("Unit", "Wants", tuple(names), self.renderer.origin(("presence",)))

    def relation(self, directive: str, names: Sequence[str], path: KeyPath) -> None:
        words = []
        for i, name in enumerate(names):
            word = self.renderer.encode(name, (*path, i), lambda parts: _unit_reference(parts, directive))
            if word is not None:
                words.append(word)
        if words:
            self.out.add("Unit", directive, tuple(words), self.renderer.origin(path))

    def extra(self, section: str, name: str, values: Sequence[str], path: KeyPath) -> None:
        if not DIRECTIVE_NAME.fullmatch(name):
            return  # validation reports it; a name like "A\n[Service]" must never reach the unit
        for i, value in enumerate(values):
            item_path = (*path, i) if len(values) > 1 else path
            words = self.renderer.plain_words(value, item_path, name)
            if words is not None:
                self.out.add(section, name, words, self.renderer.origin(item_path))

    # [Service] -------------------------------------------------------------------------

    def service_settings(self) -> None:
        for key, attribute in _SERVICE_SETTINGS:
            value = getattr(self.spec, attribute)
            if value is not None:
                path = ("service", attribute)
                words = self.renderer.plain_words(value, path, key)
                if words is not None:
                    self.out.add("Service", key, words, self.renderer.origin(path))
        used_runtime = self.renderer.used_runtime
        if used_runtime or self.spec.container.secrets:
            self.out.add("Service", "RuntimeDirectory", f"{RUNTIME_SUBDIR}/%n")
            self.out.add("Service", "RuntimeDirectoryMode", "0700")
        if used_runtime:
            runtime_env = "-" + quoting.plain_value(runtime_parts("/runtime.env"), "EnvironmentFile")
            self.out.add("Service", "EnvironmentFile", runtime_env)
            for name in sorted(used_runtime):
                words = runtime_read_command(self.project, name)
                self.out.add("Service", "ExecStartPre", words, self.renderer.origin(("runtime",)))
