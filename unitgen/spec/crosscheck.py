"""Checks across all specs of one environment: references, cycles, names, placement, ports."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

from unitgen.diagnostics import Diagnostics, did_you_mean
from unitgen.spec import templating
from unitgen.spec.docker_rules import PORT
from unitgen.spec.model import Relations, ServiceSpec
from unitgen.spec.names import container_name, sidekick_names, unit_reference
from unitgen.spec.source import KeyPath, toml_list
from unitgen.systemd.golib import glob_matches
from unitgen.systemd.unitnames import split_name, systemd_name_problem

ORDERING = ("after", "before")
REQUIREMENT = ("requires", "binds_to")

Problem = tuple[str, str, str | None]  # a diagnostic's code, message and hint


class CrossChecker:
    def __init__(self, specs: Sequence[ServiceSpec], diagnostics: Diagnostics, *, units: bool = True) -> None:
        self.specs = specs
        self.units = units  # False in a local environment: no spec becomes a unit
        self.diagnostics = diagnostics
        self.by_name = {spec.name: spec for spec in specs}
        self.generated: dict[str, ServiceSpec] = {}
        for spec in specs:
            for name in (spec.unit_name, *sidekick_names(spec)):
                other = self.generated.setdefault(name, spec)
                if other is not spec:
                    self.error(
                        spec,
                        "S302",
                        f"{name} is produced by both spec {other.name!r} and spec {spec.name!r}",
                        ("presence",) if name != spec.unit_name else ("unit", "name"),
                        "rename one of them (sidekicks are named NAME-elb-presence and NAME-announce)",
                    )

    def error(self, spec: ServiceSpec, code: str, message: str, path: KeyPath, hint: str | None = None) -> None:
        self.diagnostics.error(code, message, hint=hint, **spec.origins.where(path))

    def run(self) -> None:
        for spec in self.specs:
            self.references(spec)
            if self.units and not spec.compose.only:
                self.compose_only_references(spec)
        self.cycles()
        self.deploy_order()
        self.machine_of()
        self.container_names()
        self.host_ports()

    # --- references -----------------------------------------------------------------

    def references(self, spec: ServiceSpec) -> None:
        for key, _ in Relations.DIRECTIVES:
            for i, name in enumerate(getattr(spec.relations, key)):
                problem = self.reference_problem(name, key)
                if problem is not None:
                    code, message, hint = problem
                    self.error(spec, code, message, ("unit", key, i), hint)

    def compose_only_references(self, spec: ServiceSpec) -> None:
        """A unit cannot name a service of Compose files only: it has no unit."""
        named = [
            (("unit", key, i), name)
            for key, _ in Relations.DIRECTIVES
            for i, name in enumerate(getattr(spec.relations, key))
        ]
        named += [(("fleet", "machine_of", i), name) for i, name in enumerate(spec.placement.machine_of)]
        for path, name in named:
            found = self.by_name.get(split_name(unit_reference(name))[0])
            if found is not None and found.compose.only and not templating.contains_template(name):
                self.error(
                    spec,
                    "S313",
                    f"{name!r} is a service of Compose files only ([compose] only = true): it has no unit",
                    path,
                    "name it in a local environment's overlay only, e.g. [environments.dev.unit]",
                )

    def reference_problem(self, name: str, key: str) -> Problem | None:
        """Why a relation's ``name`` (in the list ``key``) can never resolve, or None;
        templates are only known once rendered."""
        if templating.contains_template(name):
            return None
        problem = name_problem(name, key)
        if problem:
            return problem
        if "." not in name.rsplit("@", 1)[-1]:
            found = self.by_name.get(name)
            if found is None:
                hint = (
                    did_you_mean(name, self.by_name) or "name an external unit with its suffix, e.g. 'docker.service'"
                )
                return "S310", f"{name!r} is not a spec", hint
        return self.template_problem(name)

    def template_problem(self, name: str) -> Problem | None:
        """Why a reference to a spec (``app``, ``app@.service``) names its template, which
        never runs itself, or None."""
        prefix, instance, _ = split_name(unit_reference(name))
        found = self.by_name.get(prefix)
        if found is None or not found.is_template:
            return None
        if "." not in name.rsplit("@", 1)[-1]:
            return (
                "S311",
                f"{name!r} is a template; name one of its instances",
                f"e.g. '{found.name}@{found.instances[0]}.service'",
            )
        if instance == "":
            return "S311", f"{name!r} is a template, which can never run", "name an instance"
        return None

    # --- cycles ---------------------------------------------------------------------

    def edges(self, keys: Iterable[str]) -> dict[str, set[str]]:
        """Who must come after (or requires) whom; a spec with no edge out has no entry: it
        can be in no cycle."""
        graph: dict[str, set[str]] = {}
        for spec in self.specs:
            for key in keys:
                for name in getattr(spec.relations, key):
                    target = self.by_name.get(name) if "." not in name else self.generated.get(name)
                    if target is None or target is spec:
                        continue
                    if key == "before":
                        graph.setdefault(target.name, set()).add(spec.name)
                    else:
                        graph.setdefault(spec.name, set()).add(target.name)
        return graph

    def cycles(self) -> None:
        for keys, what in ((ORDERING, "ordering"), (REQUIREMENT, "requirement")):
            for cycle in find_cycles(self.edges(keys)):
                first = self.by_name[cycle[0]]
                key = "after" if what == "ordering" else "requires"
                self.error(
                    first,
                    "S320",
                    f"{what} cycle: {' -> '.join(cycle + [cycle[0]])}",
                    ("unit", key),
                    "systemd breaks such cycles by dropping a job at random; remove one edge",
                )

    # --- deploy order ---------------------------------------------------------------

    def deploy_order(self) -> None:
        """``deploy.after`` names deployed specs of the same version key, without cycles:
        the updater waits for their maintenance before it restarts anything."""
        graph: dict[str, set[str]] = {}
        for spec in self.specs:
            if spec.deploy is None:
                continue
            graph[spec.name] = set()
            for i, name in enumerate(spec.deploy.after):
                other = self.by_name.get(name)
                if other is None or other is spec or other.deploy is None:
                    why = "is not a spec" if other is None else "is this spec" if other is spec else "has no [deploy]"
                    hint = did_you_mean(name, self.by_name) if other is None else None
                    self.error(spec, "S350", f"deploy.after names {name!r}, which {why}", ("deploy", "after", i), hint)
                elif other.deploy.version != spec.deploy.version:
                    self.error(
                        spec,
                        "S350",
                        f"deploy.after names {name!r}, deployed from {other.deploy.version!r}, "
                        f"not from {spec.deploy.version!r}: its versions are not this service's",
                        ("deploy", "after", i),
                        "only services that deploy from the same version key wait for each other",
                    )
                else:
                    graph[spec.name].add(name)
        for cycle in find_cycles(graph):
            self.error(
                self.by_name[cycle[0]],
                "S351",
                f"deploy.after cycle: {' -> '.join(cycle + [cycle[0]])}: each would wait for the other forever",
                ("deploy", "after"),
                "remove one of them",
            )

    # --- placement ------------------------------------------------------------------

    def machine_of(self) -> None:
        for spec in self.specs:
            for i, name in enumerate(spec.placement.machine_of):
                path = ("fleet", "machine_of", i)
                if templating.contains_template(name):
                    continue
                problem = name_problem(name, "machine_of")
                if problem is not None:
                    code, message, hint = problem
                    self.error(spec, code, message, path, hint)
                    continue
                unit_name = unit_reference(name)
                peer = self.by_name.get(name) if "." not in name else self.generated.get(unit_name)
                if peer is None and "." not in name:
                    self.error(
                        spec, "S330", f"MachineOf names unknown spec {name!r}", path, did_you_mean(name, self.by_name)
                    )
                    continue
                problem = self.template_problem(name)
                if problem is not None:
                    code, message, hint = problem
                    self.error(spec, code, message, path, hint)
                    continue
                if peer is not None and peer.placement.global_:
                    self.error(
                        spec,
                        "S331",
                        f"MachineOf names {unit_name}, a global unit: fleet never schedules global units, so this unit can never be placed",
                        path,
                        "make this unit global with the same machine_metadata instead",
                    )
                for pattern in spec.placement.conflicts:
                    if glob_matches(pattern, unit_name):
                        self.error(spec, "S332", f"MachineOf {unit_name} contradicts Conflicts {pattern!r}", path)
                if peer is not None:
                    for pattern in peer.placement.conflicts:
                        if glob_matches(pattern, spec.unit_name):
                            self.error(
                                spec,
                                "S332",
                                f"MachineOf {unit_name}, whose Conflicts {pattern!r} excludes this unit",
                                path,
                            )

    def container_names(self) -> None:
        seen: dict[str, ServiceSpec] = {}
        for spec in self.specs:
            name = container_name(spec)
            if templating.contains_template(name) and not spec.is_template:
                continue
            other = seen.get(name)
            if other is not None and can_share_machine(spec, other):
                self.error(
                    spec,
                    "S340",
                    f"container name {name!r} is also used by spec {other.name!r}",
                    ("container", "name"),
                    "docker allows one container per name on a machine",
                )
            seen.setdefault(name, spec)

    def host_ports(self) -> None:
        published: dict[str, list[ServiceSpec]] = {}
        for spec in self.specs:
            for port in spec.container.ports:
                match = PORT.fullmatch(port)
                if match and match.group("host"):
                    key = f"{match.group('ip') or '*'}:{match.group('host')}/{match.group('proto') or 'tcp'}"
                    published.setdefault(key, []).append(spec)
        for key, specs in published.items():
            for spec_a, spec_b in itertools.combinations(specs, 2):
                if spec_a is not spec_b and can_share_machine(spec_a, spec_b):
                    self.error(
                        spec_b,
                        "S341",
                        f"host port {key} is also published by spec {spec_a.name!r} on machines both can run on",
                        ("container", "ports"),
                        "use another host port, or keep them apart with fleet.conflicts or machine_metadata",
                    )


def name_problem(name: str, key: str) -> Problem | None:
    """Why a reference in the list ``key`` is no valid unit name: S312, or None."""
    problem = systemd_name_problem(unit_reference(name))
    if problem is None:
        return None
    words = name.split()
    # A blank most likely separates several names, which TOML writes as a list.
    hint = f"write each as its own string: {key} = {toml_list(words)}" if len(words) > 1 else None
    return "S312", f"{name!r}: {problem}", hint


def can_share_machine(a: ServiceSpec, b: ServiceSpec) -> bool:
    """False only when fleet's constraints guarantee two units never meet on one machine."""
    meta_a, meta_b = dict(a.placement.machine_metadata), dict(b.placement.machine_metadata)
    for key in meta_a.keys() & meta_b.keys():
        if not set(meta_a[key]) & set(meta_b[key]):
            return False
    if a.placement.machine_id and b.placement.machine_id and a.placement.machine_id != b.placement.machine_id:
        return False
    for one, other in ((a, b), (b, a)):
        if any(glob_matches(p, other.unit_name) for p in one.placement.conflicts):
            return False
    return True


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one node.

    Tarjan's algorithm, iterative: a chain of thousands of specs must not exhaust
    Python's recursion limit.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    work: list[tuple[str, list[str]]] = []  # the depth-first path: each node with the successors left to visit

    def enter(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        work.append((node, sorted(graph.get(node, ()), reverse=True)))

    for root in sorted(graph):
        if root in index:
            continue
        enter(root)
        while work:
            node, successors = work[-1]
            if successors:
                successor = successors.pop()
                if successor not in index:
                    enter(successor)
                elif successor in on_stack:
                    low[node] = min(low[node], index[successor])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(_cycle_in(sorted(component), graph))
    return cycles


def _cycle_in(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    members = set(component)
    path = [component[0]]
    while True:
        following = sorted(graph[path[-1]] & members)
        for candidate in following:
            if candidate == path[0]:
                return path
        step = next((c for c in following if c not in path), None)
        if step is None:
            return path
        path.append(step)


def check_all(specs: Sequence[ServiceSpec], diagnostics: Diagnostics, *, units: bool = True) -> None:
    CrossChecker(specs, diagnostics, units=units).run()
