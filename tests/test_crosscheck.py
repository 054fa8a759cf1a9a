"""Checks across specs: references, cycles, placement, names, ports."""

from __future__ import annotations

from pathlib import Path

from helpers import SIMPLE_SPEC, write_specs

from unitgen.compile.compiler import compile_specs
from unitgen.spec.crosscheck import find_cycles


def error_lines(tmp_path: Path, files: dict[str, str]) -> list[str]:
    result = compile_specs(write_specs(tmp_path, files))
    return [d.format() for d in result.diagnostics.sorted() if d.is_error]


def spec(extra: str = "", image: str = "example/app:v1") -> str:
    return f'[container]\nimage = "{image}"\n' + extra


def test_find_cycles() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_find_cycles_reaches_nodes_without_successors_from_their_predecessors() -> None:
    # "a" and "b" sort first and have no successors: visited as roots of their own, they
    # must not hide the cycle that runs through their predecessors.
    graph = {"a": set(), "b": set(), "c": {"a", "d"}, "d": {"b", "c"}, "e": {"e", "a"}}
    assert find_cycles(graph) == [["c", "d"]]
    assert find_cycles({"a": set(), "b": {"a"}}) == []


def test_find_cycles_survives_long_chains() -> None:
    chain = {f"n{i}": {f"n{i + 1}"} for i in range(20000)}
    chain["n20000"] = {"n0"}
    (cycle,) = find_cycles(chain)
    assert len(cycle) == 20001


def test_unknown_references_have_hints(tmp_path: Path) -> None:
    found = error_lines(tmp_path, {"web.toml": spec('[unit]\nafter = ["nginxx"]\n'), "nginx.toml": spec()})
    assert any("S310" in e and "unit.after[0]" in e and "did you mean 'nginx'" in e for e in found), found


def test_a_template_cannot_be_required_by_its_bare_name(tmp_path: Path) -> None:
    found = error_lines(
        tmp_path, {"app.toml": spec('[instances]\nnames = ["1"]\n'), "web.toml": spec('[unit]\nrequires = ["app"]\n')}
    )
    assert any("S311" in e and "app@1.service" in e for e in found), found


def test_dependency_cycles(tmp_path: Path) -> None:
    found = error_lines(
        tmp_path,
        {
            "a.toml": spec('[unit]\nrequires = ["b"]\nafter = ["b"]\n'),
            "b.toml": spec('[unit]\nbinds_to = ["a"]\nafter = ["c"]\n'),
            "c.toml": spec('[unit]\nafter = ["a"]\n'),
        },
    )
    assert any("S320" in e and "ordering cycle: a -> b -> c -> a" in e for e in found), found
    assert any("S320" in e and "requirement cycle: a -> b -> a" in e for e in found), found


def test_machine_of_unknown_or_global_or_conflicting(tmp_path: Path) -> None:
    found = error_lines(
        tmp_path,
        {
            "g.toml": spec("[fleet]\nglobal = true\n"),
            "a.toml": spec('[fleet]\nmachine_of = ["g"]\n'),
            "b.toml": spec('[fleet]\nmachine_of = ["nope"]\n'),
            "c.toml": spec('[fleet]\nmachine_of = ["d"]\nconflicts = ["d*"]\n'),
            "d.toml": spec(),
        },
    )
    assert any("S331" in e and "a.toml" in e for e in found), found
    assert any("S330" in e and "b.toml" in e for e in found), found
    assert any("c.toml" in e and "Conflicts" in e for e in found), found


def test_duplicate_container_names_and_host_ports_on_shared_machines(tmp_path: Path) -> None:
    found = error_lines(
        tmp_path,
        {
            "a.toml": spec('ports = ["80:80"]\nname = "same"\n'),
            "b.toml": spec('ports = ["80:8080"]\nname = "same"\n'),
        },
    )
    assert any("S340" in e for e in found), found
    assert any("S341" in e and "*:80/tcp" in e for e in found), found


def test_specs_that_never_share_a_machine_may_reuse_ports(tmp_path: Path) -> None:
    found = error_lines(
        tmp_path,
        {
            "a.toml": spec('ports = ["80:80"]\n[fleet]\nmachine_metadata = { role = "web" }\n'),
            "b.toml": spec('ports = ["80:80"]\n[fleet]\nmachine_metadata = { role = "db" }\n'),
        },
    )
    assert found == []


def test_two_spec_files_with_one_unit_name(tmp_path: Path) -> None:
    found = error_lines(tmp_path, {"a.toml": spec('[unit]\nname = "web"\n'), "web.toml": SIMPLE_SPEC})
    assert any("S301" in e for e in found), found


def test_a_sidekick_and_a_spec_cannot_share_a_unit_name(tmp_path: Path) -> None:
    found = error_lines(
        tmp_path,
        {"web.toml": spec("[presence.etcd]\nport = 80\n"), "web-announce.toml": spec()},
    )
    assert any("S302" in e and "web-announce.service is produced by both" in e for e in found), found
