"""fleet v1.0.0 [X-Fleet] semantics (fleet.md §1, §2, §6) and Go's path.Match."""

from __future__ import annotations

import pytest

from unitgen.diagnostics import Severity
from unitgen.systemd.fleetproblems import xfleet_problems
from unitgen.systemd.fleetrules import XFLEET_KEYS, expand_specifiers, is_truthy, split_value
from unitgen.systemd.golib import BadPattern, go_fields, path_match, pattern_problem


@pytest.mark.parametrize(
    ("raw", "values"),
    [
        ('"region=us-east" "disk=ssd"', ["region=us-east", "disk=ssd"]),
        ('"name=hello world"', ["name=hello world"]),
        ("a.service b.service", ["a.service b.service"]),
        ('"a"  "b"', ["a", "", "b"]),
        ('"a"\t"b"', ["a\tb"]),
        ('role="web"', ['role="web"']),
        ('"', [""]),
        ("", [""]),
    ],
)
def test_split_value(raw: str, values: list[str]) -> None:
    assert split_value(raw) == values


def test_go_fields_splits_on_any_unicode_blank() -> None:
    assert go_fields("a* b*") == ["a*", "b*"]
    assert go_fields(" c\td\u3000e\x85 ") == ["c", "d", "e"]


def test_conflicts_split_on_any_whitespace() -> None:
    problems = xfleet_problems([("MachineOf", "db.service"), ("Conflicts", "web.service\tdb.service")], "app.service")
    assert [p.code for p in problems] == ["L402"]


def test_truthy() -> None:
    assert all(is_truthy(v) for v in ("true", "YES", "1", "on", "T"))
    assert not any(is_truthy(v) for v in ("y", "enabled", "", "false"))


def test_expand_specifiers() -> None:
    assert expand_specifiers("%n|%N|%p|%i", "foo@bar.service") == "foo@bar.service|foo@bar|foo|bar"
    assert expand_specifiers("%p-%i", "foo.service") == "foo-"
    assert expand_specifiers("%%n %H", "a.service") == "%a.service %H"  # no %% escape, %H stays


# Go's own table (src/path/match_test.go): (pattern, name, matched, bad pattern).
GO_MATCH_TESTS = [
    ("abc", "abc", True, False),
    ("*", "abc", True, False),
    ("*c", "abc", True, False),
    ("a*", "a", True, False),
    ("a*", "abc", True, False),
    ("a*", "ab/c", False, False),
    ("a*/b", "abc/b", True, False),
    ("a*/b", "a/c/b", False, False),
    ("a*b*c*d*e*/f", "axbxcxdxe/f", True, False),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/f", True, False),
    ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", False, False),
    ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", False, False),
    ("a*b?c*x", "abxbbxdbxebxczzx", True, False),
    ("a*b?c*x", "abxbbxdbxebxczzy", False, False),
    ("ab[c]", "abc", True, False),
    ("ab[b-d]", "abc", True, False),
    ("ab[e-g]", "abc", False, False),
    ("ab[^c]", "abc", False, False),
    ("ab[^b-d]", "abc", False, False),
    ("ab[^e-g]", "abc", True, False),
    ("a\\*b", "a*b", True, False),
    ("a\\*b", "ab", False, False),
    ("a?b", "a☺b", True, False),
    ("a[^a]b", "a☺b", True, False),
    ("a???b", "a☺b", False, False),
    ("a[^a][^a][^a]b", "a☺b", False, False),
    ("[a-ζ]*", "α", True, False),
    ("*[a-ζ]", "A", False, False),
    ("a?b", "a/b", False, False),
    ("a*b", "a/b", False, False),
    ("[\\]a]", "]", True, False),
    ("[\\-]", "-", True, False),
    ("[x\\-]", "x", True, False),
    ("[x\\-]", "-", True, False),
    ("[x\\-]", "z", False, False),
    ("[\\-x]", "x", True, False),
    ("[\\-x]", "-", True, False),
    ("[\\-x]", "a", False, False),
    ("[]a]", "]", False, True),
    ("[-]", "-", False, True),
    ("[x-]", "x", False, True),
    ("[x-]", "-", False, True),
    ("[x-]", "z", False, True),
    ("[-x]", "x", False, True),
    ("[-x]", "-", False, True),
    ("[-x]", "a", False, True),
    ("\\", "a", False, True),
    ("[a-b-c]", "a", False, True),
    ("[", "a", False, True),
    ("[^", "a", False, True),
    ("[^bc", "a", False, True),
    ("a[", "a", False, True),
    ("a[", "ab", False, True),
    ("a[", "x", False, True),
    ("a/b[", "x", False, True),
    ("*x", "xxx", True, False),
]


@pytest.mark.parametrize(("pattern", "name", "matched", "bad"), GO_MATCH_TESTS)
def test_path_match_like_go(pattern: str, name: str, matched: bool, bad: bool) -> None:
    if bad:
        with pytest.raises(BadPattern):
            path_match(pattern, name)
    else:
        assert path_match(pattern, name) is matched


def codes(options: list[tuple[str, str]], name: str | None = "app.service") -> list[tuple[str, int | None]]:
    return sorted((p.code, p.option_index) for p in xfleet_problems(options, name))


def test_keys() -> None:
    assert {
        "MachineID",
        "MachineOf",
        "MachineMetadata",
        "Conflicts",
        "Global",
        "Replaces",
        "X-Conflicts",
    } <= XFLEET_KEYS


def test_clean_section_has_no_problems() -> None:
    options = [("MachineMetadata", '"region=us-east" "disk=ssd"'), ("Conflicts", "app@*.service"), ("Global", "true")]
    assert codes(options) == []


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (
            ("MachineID", "0123456789abcdef0123456789abcdef"),
            ("MachineOf", "db.service"),
            "MachineID cannot be used with Peers",
        ),
        (("X-ConditionMachineID", "01234567"), ("Conflicts", "x*"), "MachineID cannot be used with Conflicts"),
        (("MachineID", "01234567"), ("Global", "true"), "MachineID cannot be used with Global"),
        (("MachineID", "01234567"), ("Replaces", "x.service"), "MachineID cannot be used with Replaces"),
        (("Global", "yes"), ("MachineOf", "db.service"), "Global cannot be used with Peers"),
        (("Global", "1"), ("Replaces", "x.service"), "Global cannot be used with Replaces"),
        (("Conflicts", "x*"), ("Replaces", "y.service"), "Conflicts cannot be used with Replaces"),
    ],
)
def test_forbidden_pairs(first: tuple[str, str], second: tuple[str, str], message: str) -> None:
    problems = [p for p in xfleet_problems([first, second], "app.service") if p.code == "L401"]
    assert [p.severity for p in problems] == [Severity.ERROR]
    assert message in problems[0].message and problems[0].option_index == 1


def test_allowed_pairs() -> None:
    assert codes([("Global", "true"), ("Conflicts", "x*")]) == []
    assert codes([("Global", "true"), ("MachineMetadata", "a=b")]) == []
    assert codes([("MachineID", "01234567"), ("MachineMetadata", "a=b")]) == []
    assert codes([("Global", "y"), ("MachineOf", "db.service")]) == [("L410", 0)]  # y is false: no clash


def test_peer_matching_conflict_or_replace_is_refused() -> None:
    problems = xfleet_problems([("MachineOf", "db@%i.service"), ("Conflicts", "db@*.service")], "app@1.service")
    assert [(p.code, p.option_index) for p in problems] == [("L402", 0)]
    assert 'unresolvable requirements: peer "db@%i.service" matches conflict "db@*.service"' in problems[0].message
    problems = xfleet_problems([("MachineOf", "old.service"), ("Replaces", "old*")], "app.service")
    assert [p.code for p in problems] == ["L403"]


def test_unknown_key_with_hint() -> None:
    (problem,) = xfleet_problems([("MachineId", "01234567")], "app.service")
    assert problem.code == "L404" and problem.hint == "did you mean 'MachineID'?"


def test_metadata_dropped_silently() -> None:
    assert codes([("MachineMetadata", "a=b=c")]) == [("L406", 0)]
    assert codes([("MachineMetadata", "role=")]) == [("L406", 0)]
    assert codes([("MachineMetadata", "a=1 b=2")]) == [("L406", 0)]
    assert codes([("MachineMetadata", "ram>=1024")]) == [("L406", 0)]


def test_values_split_differently() -> None:
    assert codes([("Replaces", "a.service b.service")]) == [("L407", 0)]
    assert codes([("MachineMetadata", 'role="web"')]) == [("L407", 0)]
    assert codes([("MachineMetadata", '"a=1"\t"b=2"')]) == [("L406", 0), ("L407", 0)]
    assert codes([("Conflicts", "a* b*")]) == []  # Conflicts is split on blanks since v1.0.0


def test_machine_of_several_names() -> None:
    assert codes([("MachineOf", "a.service b.service")]) == [("L408", 0)]
    assert codes([("MachineOf", "a@*.service")]) == [("L408", 0)]
    assert codes([("MachineOf", "noext")]) == [("L408", 0)]


def test_literal_specifiers() -> None:
    assert codes([("MachineMetadata", "host=%H")]) == [("L409", 0)]
    assert codes([("MachineOf", "%%n")], "a@.service") == [("L409", 0)]


def test_global_truthiness() -> None:
    assert codes([("Global", "y")]) == [("L410", 0)]
    assert codes([("Global", "false")]) == []


def test_unsatisfiable_after_expansion() -> None:
    # Literally different, so fleet accepts it; expanded, the peer is a unit it conflicts with.
    assert codes([("MachineOf", "%p.socket"), ("Conflicts", "foo*")], "foo.service") == [("L411", 0)]
    assert codes([("MachineOf", "%n")], "app@.service") == [("L411", 0)]
    assert codes([("MachineOf", "%p@%i.service")], "app@3.service") == [("L411", 0)]
    assert codes([("MachineOf", "db@%i.service"), ("Conflicts", "%p@*.service")], "app@.service") == []


@pytest.mark.parametrize(
    ("pattern", "well_formed"),
    [
        ("app@*.service", True),
        ("a?b", True),
        ("*", True),
        ("[a-z]*", True),
        ("a\\*", True),
        ("\\[a]", True),
        ("[x", False),
        ("a\\", False),
        ("ok*[", False),
        ("[]", False),
        ("*[^a-]", False),
        ("x*y*[z", False),
    ],
)
def test_pattern_problem(pattern: str, well_formed: bool) -> None:
    # Without '[' or '\\' a pattern is taken as well-formed without being scanned.
    assert pattern_problem(pattern) == (None if well_formed else "syntax error in pattern")


def test_exclusive_rules_blame_the_later_first_line() -> None:
    options = [("MachineOf", "db.service"), ("X-ConditionMachineBootID", "01234567"), ("MachineID", "89abcdef")]
    assert codes(options) == [("L401", 1), ("L414", 2)]
    assert codes([("Global", "true"), ("Global", "no"), ("MachineID", "01234567")]) == []  # the last Global counts
    assert codes([("Global", "no"), ("Global", "true"), ("MachineOf", "db.service")]) == [("L401", 2)]
    assert codes([("Conflicts", "a* b*"), ("Conflicts", "c*"), ("Replaces", "d.service")]) == [("L401", 2)]


def test_bad_glob_and_machine_id() -> None:
    assert codes([("Conflicts", "[x")]) == [("L412", 0)]
    assert codes([("MachineID", "CHANGEME")]) == [("L414", 0)]
    assert codes([("MachineID", "%i")], "pin@.service") == []
    assert codes([("MachineID", "01234567"), ("MachineID", "89abcdef")]) == [("L414", 1)]
