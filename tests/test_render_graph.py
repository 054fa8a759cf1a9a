"""`unitgen render NAME` and `unitgen graph` (DOT and Mermaid)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import require, require_tool
from helpers import REPO, run_unitgen, write_specs

from unitgen.compile.compiler import compile_specs
from unitgen.fleet import graph


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "specs", tmp_path / "specs")
    return tmp_path


# --- render --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("web", "--env", "prod"), "prod/web.service"),
        (("web.service", "--env", "stage"), "stage/web.service"),
        (("test/nginx-elb-presence.service",), "test/nginx-elb-presence.service"),
    ],
)
def test_render_prints_the_compiled_unit_byte_for_byte(examples: Path, args: tuple[str, ...], expected: str) -> None:
    proc = run_unitgen("render", *args, cwd=examples)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (REPO / "out" / expected).read_text()
    assert not (examples / "out").exists()  # compiled in memory only


def test_render_a_template_by_its_spec_name(tmp_path: Path) -> None:
    write_specs(tmp_path, {"app.toml": '[container]\nimage = "example/app"\ntag = "v1"\n[instances]\nnames = ["a"]\n'})
    proc = run_unitgen("render", "app", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Conflicts=app@*.service" in proc.stdout
    instance = run_unitgen("render", "app@a.service", cwd=tmp_path)
    assert instance.returncode == 2
    assert (
        "app@a.service is an instance; fleet builds it from the template: unitgen render app@.service"
        in instance.stderr
    )


def test_render_asks_for_an_environment_when_the_name_is_ambiguous(examples: Path) -> None:
    proc = run_unitgen("render", "web", cwd=examples)
    assert proc.returncode == 2
    assert (
        "'web' is compiled for several environments (prod, stage, test): add --env ENV, or name it ENV/web.service"
        in proc.stderr
    )


def test_render_unknown_name_suggests_one(examples: Path) -> None:
    proc = run_unitgen("render", "ngnix", "--env", "prod", cwd=examples)
    assert proc.returncode == 2
    assert "no compiled unit is named 'ngnix' (did you mean 'nginx'?)" in proc.stderr


def test_render_refuses_specs_that_do_not_compile(tmp_path: Path) -> None:
    write_specs(tmp_path, {"web.toml": "[container]\nimage = 3\n"})
    proc = run_unitgen("render", "web", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""


# --- graph -----------------------------------------------------------------------------------

GRAPH_SPECS = {
    "app.toml": """\
        [unit]
        requires = ["db"]
        after = ["db"]
        part_of = ["db"]
        [container]
        image = "example/app"
        tag = "v1"
        [instances]
        names = ["1", "2"]
        [presence.etcd]
        port = 8000
    """,
    "db.toml": """\
        [unit]
        wants = ["etcd.service"]
        [container]
        image = "example/db"
        tag = "v1"
        [fleet]
        machine_metadata = { role = ["db", "spare"], disk = "ssd" }
    """,
    "pinned.toml": """\
        [container]
        image = "example/pinned"
        tag = "v1"
        [fleet]
        machine_id = "2c2ea1c3f4d44f7e8e41bd8c0c1cb0c5"
    """,
}


def test_graph_dot_shows_relations_and_placement(tmp_path: Path) -> None:
    write_specs(tmp_path, GRAPH_SPECS)
    proc = run_unitgen("graph", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    dot = proc.stdout
    assert dot.startswith("digraph unitgen {\n") and dot.endswith("}\n")
    for line in [
        '"app@.service" [label="app@.service\\nConflicts=app@*.service\\ninstances: 1, 2"];',
        '"db.service" [label="db.service\\nMachineMetadata role=db|spare, disk=ssd"];',
        '"pinned.service" [label="pinned.service\\nMachineID=2c2ea1c3f4d44f7e8e41bd8c0c1cb0c5"];',
        '"app-announce@.service" [label="app-announce@.service\\nany machine\\ninstances: 1, 2"];',
        '"etcd.service" [label="etcd.service\\nnot compiled by unitgen", style=dashed, color=gray50];',
        '"app@.service" -> "db.service" [label="Requires", style=solid];',
        '"app@.service" -> "db.service" [label="PartOf", style=dotted];',
        '"app@.service" -> "db.service" [label="After", style=solid, color=gray40];',
        '"app-announce@.service" -> "app@.service" [label="BindsTo", style=bold];',
        '"app-announce@.service" -> "app@.service" [label="MachineOf", style=solid, color=blue];',
        '"db.service" -> "etcd.service" [label="Wants", style=dashed];',
    ]:
        assert f"  {line}\n" in dot, line
    assert dot.count("{") == dot.count("}")


def test_graph_mermaid_has_the_same_nodes_and_edges(tmp_path: Path) -> None:
    specs = write_specs(tmp_path, GRAPH_SPECS)
    proc = run_unitgen("graph", "--format", "mermaid", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert text.startswith("flowchart LR\n")
    ids = dict(re.findall(r'^  (n\d+)\["([^"<]+)', text, re.M))
    by_name = {name: node for node, name in ids.items()}
    edges = set(re.findall(r"^  (n\d+) (?:-->|==>|-\.->)\|(\w+)\| (n\d+)$", text, re.M))
    built = graph.build(compile_specs(specs, keep_ir=True).units)
    expected_edges = {(by_name[e.source], e.label, by_name[e.target]) for e in built.edges}
    assert edges == expected_edges and len(edges) == len(built.edges)
    assert set(ids.values()) == {n.name for n in built.nodes}
    assert f"  {by_name['app-announce@.service']} ==>|BindsTo| {by_name['app@.service']}\n" in text
    assert f"  class {by_name['etcd.service']} external\n" in text
    assert "MachineMetadata role=db|spare, disk=ssd" in text


def test_graph_of_several_environments_is_clustered(examples: Path) -> None:
    dot = run_unitgen("graph", cwd=examples).stdout
    for env in ("prod", "stage", "test"):
        assert f'  subgraph "cluster_{env}" {{\n    label="{env}";\n' in dot
    assert '"prod/nginx-elb-presence.service" -> "prod/nginx.service" [label="BindsTo", style=bold];' in dot
    assert '"prod/nginx.service" -> "prod/web.service" [label="Wants", style=dashed];' in dot
    assert (
        '"prod/docker.service" [label="docker.service\\nnot compiled by unitgen", style=dashed, color=gray50];' in dot
    )
    assert "MachineMetadata environment=prod, role=django" in dot
    mermaid = run_unitgen("graph", "--format", "mermaid", cwd=examples).stdout
    assert mermaid.count("  subgraph env") == 3 and mermaid.count("\n  end\n") == 3


def test_graph_of_one_environment_is_flat_and_stable(examples: Path) -> None:
    first = run_unitgen("graph", "--env", "prod", cwd=examples)
    second = run_unitgen("graph", "--env", "prod", cwd=examples)
    assert first.returncode == 0 and first.stdout == second.stdout
    assert "subgraph" not in first.stdout
    assert '  "nginx.service" -> "api.service" [label="After", style=solid, color=gray40];\n' in first.stdout


def test_graph_quotes_what_dot_and_mermaid_would_misread() -> None:
    node = graph.Node('a"b\\c', 'a"b\\c', None, ("x<y>&#",))
    built = graph.Graph((node,), (), ())
    assert '"a\\"b\\\\c" [label="a\\"b\\\\c\\nx<y>&#"];' in graph.to_dot(built)
    assert 'n0["a#quot;b\\c<br/>x#lt;y#gt;#amp;#35;"]' in graph.to_mermaid(built)


# --- what Graphviz itself makes of the DOT ---------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def drawn_by_graphviz(dot_text: str) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """Run the real ``dot`` and read back what it drew: each node's title and the lines
    of its label, each edge's "source->target" title and label.  Fails on any warning."""
    rendered = subprocess.run(
        [require_tool("dot"), "-Tsvg"], input=dot_text, capture_output=True, text=True, timeout=60
    )
    assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr
    nodes: dict[str, list[str]] = {}
    edges: list[tuple[str, str]] = []
    for group in ElementTree.fromstring(rendered.stdout).iter(f"{SVG}g"):
        title = group.findtext(f"{SVG}title") or ""
        texts = [text.text or "" for text in group.findall(f"{SVG}text")]
        if group.get("class") == "node":
            nodes[title] = texts
        elif group.get("class") == "edge":
            edges.append((title, " ".join(texts)))
    return nodes, edges


@pytest.mark.parametrize("project", ["graph specs", "examples, prod"])
def test_graphviz_draws_every_unit_and_relation_as_built(project: str, tmp_path: Path) -> None:
    if project == "graph specs":
        specs, args = write_specs(tmp_path, GRAPH_SPECS), ("graph",)
    else:
        specs, args = shutil.copytree(REPO / "specs", tmp_path / "specs"), ("graph", "--env", "prod")
    proc = run_unitgen(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    nodes, edges = drawn_by_graphviz(proc.stdout)
    built = graph.build(
        compile_specs(specs, environment=None if project == "graph specs" else "prod", keep_ir=True).units
    )
    assert nodes == {node.key: [node.name, *node.lines] for node in built.nodes}
    assert sorted(edges) == sorted((f"{e.source}->{e.target}", e.label) for e in built.edges)


def test_graphviz_reads_quotes_backslashes_and_markup_in_labels_literally() -> None:
    # \N and \l would be graphviz escapes (the node's name, a left-justified line) if unquoted.
    tricky = graph.Node('a"b\\c.service', 'a"b\\c.service', None, ("x<y>&#", "100%", "\\N\\l"))
    plain = graph.Node("d.service", "d.service", None, ())
    drawn, edges = drawn_by_graphviz(
        graph.to_dot(graph.Graph((tricky, plain), (graph.Edge(tricky.key, plain.key, "After"),), ()))
    )
    assert sorted(drawn.values()) == [['a"b\\c.service', "x<y>&#", "100%", "\\N\\l"], ["d.service"]]
    assert len(edges) == 1 and edges[0][1] == "After" and edges[0][0].endswith("->d.service")


# --- what Mermaid itself makes of the flowchart ---------------------------------------------

MERMAID = REPO / "tests" / "support" / "mermaid"  # package.json pins mermaid; .ci/run runs npm ci


def parsed_by_mermaid(text: str, tmp_path: Path) -> tuple[str, dict[str, list[str]], list[tuple[str, str, str]]]:
    """Parse with the real mermaid package: (diagram type, node id -> label lines as a
    browser shows them, edges as (source id, label, target id))."""
    node = require_tool("node")
    require(
        (MERMAID / "node_modules" / "mermaid").is_dir(),
        "the Mermaid parser is not installed (cd tests/support/mermaid && npm ci)",
    )
    source = tmp_path / "graph.mmd"
    source.write_text(text)
    proc = subprocess.run([node, str(MERMAID / "parse.mjs"), str(source)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    parsed = json.loads(proc.stdout)
    return parsed["diagramType"], parsed["nodes"], [tuple(edge) for edge in parsed["edges"]]


@pytest.mark.parametrize("project", ["graph specs", "examples, prod"])
def test_mermaid_parses_every_unit_and_relation_as_built(project: str, tmp_path: Path) -> None:
    if project == "graph specs":
        specs, args = write_specs(tmp_path, GRAPH_SPECS), ("graph", "--format", "mermaid")
    else:
        specs, args = (
            shutil.copytree(REPO / "specs", tmp_path / "specs"),
            ("graph", "--format", "mermaid", "--env", "prod"),
        )
    proc = run_unitgen(*args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    kind, nodes, edges = parsed_by_mermaid(proc.stdout, tmp_path)
    built = graph.build(
        compile_specs(specs, environment=None if project == "graph specs" else "prod", keep_ir=True).units
    )
    assert kind == "flowchart-v2"
    assert sorted(nodes.values()) == sorted([node.name, *node.lines] for node in built.nodes)
    name = {id_: lines[0] for id_, lines in nodes.items()}
    assert sorted((name[a], label, name[b]) for a, label, b in edges) == sorted(
        (e.source, e.label, e.target) for e in built.edges
    )


def test_mermaid_reads_quotes_brackets_and_markup_in_labels_literally(tmp_path: Path) -> None:
    lines = ("x<y>&#", "[brackets] (parens) {braces} |pipe|", "end", "100%")
    tricky = graph.Node('a"b\\c.service', 'a"b\\c.service', None, lines)
    plain = graph.Node("d.service", "d.service", None, ())
    text = graph.to_mermaid(graph.Graph((tricky, plain), (graph.Edge(tricky.key, plain.key, "After"),), ()))
    _, nodes, edges = parsed_by_mermaid(text, tmp_path)
    assert sorted(nodes.values()) == [['a"b\\c.service', *lines], ["d.service"]]
    assert [label for _, label, _ in edges] == ["After"]
