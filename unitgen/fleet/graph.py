"""The compiled units as a graph: who requires, binds to, wants, follows whom; where each runs.

Edges come from the units' own directives (``Requires=``, ``BindsTo=``, ``Wants=``,
``After=``, ``Before=``, ``PartOf=`` and fleet's ``MachineOf=``), so the graph shows what
systemd and fleet will read, sidekicks included.  A template's ``%i`` names the same
instance, drawn as an edge between the templates.  Units that no spec produces
(``docker.service``) appear as external nodes.  Each node lists its placement: ``Global``,
``MachineMetadata``, ``MachineID``, ``Conflicts``, ``Replaces``, and a template's instances.

Output is DOT (Graphviz) or Mermaid (a ``flowchart``), byte-stable for the same units.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from unitgen.compile.compiler import CompiledUnit
from unitgen.fleet.submit import expand

# (section, key, edge label); every edge points from the unit that says it to the unit named.
RELATIONS = (
    ("Unit", "Requires", "Requires"),
    ("Unit", "BindsTo", "BindsTo"),
    ("Unit", "Wants", "Wants"),
    ("Unit", "PartOf", "PartOf"),
    ("Unit", "After", "After"),
    ("Unit", "Before", "Before"),
    ("X-Fleet", "MachineOf", "MachineOf"),
)
PLACEMENT = ("Global", "MachineID", "MachineMetadata", "Conflicts", "Replaces")


@attrs.frozen
class Node:
    key: str  # unique: "web.service"; "prod/web.service" when several environments are drawn
    name: str
    group: str | None  # environment
    lines: tuple[str, ...]  # placement and instances, shown under the name
    external: bool = False


@attrs.frozen
class Edge:
    source: str
    target: str
    label: str


@attrs.frozen
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    groups: tuple[str, ...]  # environments drawn as clusters (none for a single one)


def metadata_text(values: Sequence[str]) -> str:
    """fleet's rule in short: values of one key are alternatives (``|``), different keys must all match (``,``)."""
    by_key: dict[str, list[str]] = {}
    for value in values:
        name, _, wanted = value.partition("=")
        by_key.setdefault(name, []).append(wanted)
    return ", ".join(f"{name}={'|'.join(wanted)}" for name, wanted in by_key.items())


def placement_lines(unit: CompiledUnit) -> tuple[str, ...]:
    lines = []
    fleet = unit.unit.section("X-Fleet")
    if fleet is not None:
        for key in PLACEMENT:
            values = fleet.values(key)
            if key == "Global":
                if values:
                    lines.append(f"Global={values[-1]}")
            elif key == "MachineMetadata" and values:
                lines.append("MachineMetadata " + metadata_text(values))
            elif values:
                lines.append(f"{key}={', '.join(values)}")
    if not lines:
        lines.append("any machine")
    if unit.unit.name.rpartition(".")[0].endswith("@") and unit.spec_instances:
        lines.append("instances: " + ", ".join(unit.spec_instances))
    return tuple(lines)


def build(units: Sequence[CompiledUnit]) -> Graph:
    environments = sorted({u.environment for u in units if u.environment is not None})
    grouped = len(environments) > 1

    def key(env: str | None, name: str) -> str:
        return f"{env}/{name}" if env and grouped else name

    nodes: dict[str, Node] = {}
    edges: list[Edge] = []
    for unit in units:
        env = unit.environment
        nodes[key(env, unit.unit.name)] = Node(key(env, unit.unit.name), unit.unit.name, env, placement_lines(unit))
    for unit in units:
        env, name = unit.environment, unit.unit.name
        for section, directive, label in RELATIONS:
            for value in unit.unit.values(section, directive):
                for word in value.split():
                    target = expand(word, name)
                    if target == name:
                        continue
                    target_key = key(env, target)
                    if target_key not in nodes:
                        nodes[target_key] = Node(target_key, target, env, ("not compiled by unitgen",), external=True)
                    edges.append(Edge(key(env, name), target_key, label))
    ordered = sorted(nodes.values(), key=lambda n: (n.group or "", n.external, n.key))
    unique_edges = sorted(set(edges), key=lambda e: (e.source, [r[2] for r in RELATIONS].index(e.label), e.target))
    return Graph(tuple(ordered), tuple(unique_edges), tuple(environments) if grouped else ())


# --- DOT -------------------------------------------------------------------------------

EDGE_STYLE = {
    "Requires": "solid",
    "BindsTo": "bold",
    "Wants": "dashed",
    "PartOf": "dotted",
    "After": "solid",
    "Before": "solid",
    "MachineOf": "solid",
}
EDGE_COLOR = {"After": "gray40", "Before": "gray40", "MachineOf": "blue"}


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: Graph) -> str:
    out = [
        "digraph unitgen {",
        "  rankdir=LR;",
        '  node [shape=box, fontname="monospace"];',
        '  edge [fontname="monospace", fontsize=10];',
    ]

    def node_line(node: Node, indent: str) -> str:
        label = _dot_string("\n".join((node.name, *node.lines)))
        style = ", style=dashed, color=gray50" if node.external else ""
        return f"{indent}{_dot_string(node.key)} [label={label}{style}];"

    if graph.groups:
        for group in graph.groups:
            out.append(f"  subgraph {_dot_string('cluster_' + group)} {{")
            out.append(f"    label={_dot_string(group)};")
            out.extend(node_line(n, "    ") for n in graph.nodes if n.group == group)
            out.append("  }")
        out.extend(node_line(n, "  ") for n in graph.nodes if n.group not in graph.groups)
    else:
        out.extend(node_line(n, "  ") for n in graph.nodes)
    for edge in graph.edges:
        attributes = [f"label={_dot_string(edge.label)}", f"style={EDGE_STYLE[edge.label]}"]
        if edge.label in EDGE_COLOR:
            attributes.append(f"color={EDGE_COLOR[edge.label]}")
        out.append(f"  {_dot_string(edge.source)} -> {_dot_string(edge.target)} [{', '.join(attributes)}];")
    out.append("}")
    return "\n".join(out) + "\n"


# --- Mermaid ---------------------------------------------------------------------------

_MERMAID_ESCAPES = {'"': "#quot;", "<": "#lt;", ">": "#gt;", "#": "#35;", "&": "#amp;"}


def _mermaid_text(text: str) -> str:
    return "".join(_MERMAID_ESCAPES.get(c, c) for c in text)


def to_mermaid(graph: Graph) -> str:
    ids = {node.key: f"n{i}" for i, node in enumerate(graph.nodes)}
    out = ["flowchart LR"]

    def node_line(node: Node, indent: str) -> str:
        label = "<br/>".join(_mermaid_text(line) for line in (node.name, *node.lines))
        return f'{indent}{ids[node.key]}["{label}"]'

    if graph.groups:
        for i, group in enumerate(graph.groups):
            out.append(f'  subgraph env{i}["{_mermaid_text(group)}"]')
            out.extend(node_line(n, "    ") for n in graph.nodes if n.group == group)
            out.append("  end")
    else:
        out.extend(node_line(n, "  ") for n in graph.nodes)
    for edge in graph.edges:
        arrow = "-.->" if edge.label in ("Wants", "PartOf") else ("==>" if edge.label == "BindsTo" else "-->")
        out.append(f"  {ids[edge.source]} {arrow}|{edge.label}| {ids[edge.target]}")
    external = [ids[n.key] for n in graph.nodes if n.external]
    if external:
        out.append("  classDef external stroke-dasharray: 5 5")
        out.append(f"  class {','.join(external)} external")
    return "\n".join(out) + "\n"
