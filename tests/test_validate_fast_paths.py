"""The validator's shortcuts for common valid values: each must accept only what the full
check it skips would accept, and the full check must still run at the edges."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write_specs
from hypothesis import given, settings
from hypothesis import strategies as st

from unitgen import secretscan
from unitgen.spec import templating
from unitgen.compile.compiler import compile_specs
from unitgen.systemd.unitnames import UNIT_NAME_MAX, fleet_name_problem, systemd_name_problem
from unitgen.spec.validate import (
    CONTAINER_NAME,
    IMAGE_NAME,
    INSTANCE_NAME,
    PLAIN_IMAGE_NAME,
    SPEC_NAME,
    SpecValidator,
)


def codes(tmp_path: Path, spec: str, code: str) -> list[str]:
    specs = write_specs(tmp_path, {"web.toml": spec})
    return [d.format() for d in compile_specs(specs).diagnostics.sorted() if d.code == code]


def full_problem(unit: str) -> str | None:
    return systemd_name_problem(unit) or fleet_name_problem(unit)


@pytest.mark.parametrize("template", [False, True], ids=["plain", "template"])
@pytest.mark.parametrize("unit_length", [UNIT_NAME_MAX - 2, UNIT_NAME_MAX - 1, UNIT_NAME_MAX, UNIT_NAME_MAX + 1])
def test_unit_name_length_edges_are_judged_by_the_full_checks(tmp_path: Path, template: bool, unit_length: int) -> None:
    suffix = "@.service" if template else ".service"
    name = "a" * (unit_length - len(suffix))
    spec = f'[unit]\nname = "{name}"\n[container]\nimage = "example/app"\ntag = "v1"\n'
    if template:
        spec += '[instances]\nnames = ["1"]\n'
    found = codes(tmp_path, spec, "S210")
    problem = full_problem(name + suffix)
    assert bool(found) == (problem is not None), found
    if problem:
        assert problem in found[0]


@pytest.mark.parametrize("unit_length", [UNIT_NAME_MAX - 1, UNIT_NAME_MAX, UNIT_NAME_MAX + 1])
def test_instance_unit_length_edges_are_judged_by_the_full_checks(tmp_path: Path, unit_length: int) -> None:
    instance = "i" * (unit_length - len("web@.service"))
    spec = f'[container]\nimage = "example/app"\ntag = "v1"\n[instances]\nnames = ["{instance}"]\n'
    found = codes(tmp_path, spec, "S211")
    problem = systemd_name_problem(f"web@{instance}.service")
    assert bool(found) == (problem is not None), found
    if problem:
        assert problem in found[0]


@settings(max_examples=300)
@given(st.from_regex(SPEC_NAME, fullmatch=True).filter(lambda name: len(name) < UNIT_NAME_MAX - len("@.service")))
def test_a_spec_name_short_enough_makes_unit_names_systemd_and_fleet_accept(name: str) -> None:
    assert full_problem(f"{name}.service") is None
    assert full_problem(f"{name}@.service") is None
    assert CONTAINER_NAME.fullmatch(name)  # the default container name needs no check either


@settings(max_examples=300)
@given(st.from_regex(SPEC_NAME, fullmatch=True), st.from_regex(INSTANCE_NAME, fullmatch=True))
def test_an_instance_unit_short_enough_is_accepted(name: str, instance: str) -> None:
    unit = f"{name}@{instance}.service"
    if len(unit) < UNIT_NAME_MAX:
        assert systemd_name_problem(unit) is None


@settings(max_examples=500)
@given(st.from_regex(PLAIN_IMAGE_NAME, fullmatch=True))
def test_a_plain_image_name_is_an_image_name(name: str) -> None:
    assert IMAGE_NAME.fullmatch(name)


def rendered_literal(text: str, variables: dict[str, str], runtime: dict[str, str] | None) -> str | None:
    try:
        parts = templating.render(text, variables, runtime, set())
    except templating.TemplateError:
        return None
    return "".join(parts) if all(isinstance(p, str) for p in parts) else None  # type: ignore[arg-type]


PLAIN = st.text(st.characters(blacklist_characters="{\x00"), max_size=6)


@settings(max_examples=500)
@given(
    PLAIN,
    st.sampled_from(["{{ runtime.version }}", "{{runtime.pinned}}", "{{\truntime.nope }}", "{{ runtime.nul }}"]),
    PLAIN,
    st.sampled_from([{}, {"pinned": "p1"}, {"version": "v9", "nul": "a\x00"}]),
    st.sampled_from([None, {"version": "/app-version"}]),
)
def test_a_runtime_value_is_literal_only_when_pinned(
    before: str, template: str, after: str, variables: dict[str, str], runtime: dict[str, str] | None
) -> None:
    text = before + template + after
    validator = SpecValidator(None, None, variables, runtime)  # type: ignore[arg-type]
    assert validator.literal(text) == rendered_literal(text, variables, runtime)


@pytest.mark.parametrize(
    "name",
    ["DB_PASSWORD", "db_pass", "PWD", "Api_Key", "MY_TOKEN", "x_key", "paſſword", "\u212aEY_TOKEN", "CREDENTİAL", "credentıal"],
)
def test_credential_names_are_found_ascii_or_not(name: str) -> None:
    assert secretscan.secret_problem(name, "hunter2") == (
        f"{name} is set to a literal value: a credential written into the unit file"
        if secretscan._SECRET_NAME.search(name) and not secretscan._NOT_THE_SECRET.search(name)
        else None
    )


@settings(max_examples=1000)
@given(st.text(alphabet="PASWORDKEYTNCILpaswordkeytncil_ _-1ſ\u212aıİ", max_size=14))
def test_the_credential_name_prefilter_misses_nothing(name: str) -> None:
    expected = bool(secretscan._SECRET_NAME.search(name)) and not secretscan._NOT_THE_SECRET.search(name)
    assert secretscan._names_a_credential(name) == expected
