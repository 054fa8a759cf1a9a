"""The template syntax: literal by default, {{ }} for specifiers, variables and values."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unitgen.spec import templating
from unitgen.systemd.quoting import Raw
from unitgen.spec.templating import TemplateError, render

VARS = {"region": "eu-west-1", "pct": "50%"}
RUNTIME = {"version": "/app-version"}


def test_text_without_braces_is_returned_untouched() -> None:
    assert render("100% $HOME %i", VARS) == ("100% $HOME %i",)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("web-{{ instance }}", ("web-", Raw("%i"))),
        ("{{hostname}}:80", (Raw("%H"), ":80")),
        ("{{ env.PORT }}", (Raw("${PORT}", is_variable=True),)),
        ("{{ vars.region }}/{{ vars.pct }}", ("eu-west-1/50%",)),
        ("{{ runtime.version }}", (Raw("${UNITGEN_VERSION}", is_variable=True),)),
        ("{{ '{{' }}literal", ("{{literal",)),
        ("{{ vars.region | upper }}", ("EU-WEST-1",)),
        ("{b} }} {", ("{b} }} {",)),
        ("cr\r lf\n crlf\r\n{{ vars.region }}{# jinja keeps them too #}", ("cr\r lf\n crlf\r\neu-west-1",)),
        # Found by hypothesis: two markers around a literal "r" once read as a carriage return.
        ("{{ instance }}r{{ instance }}{# jinja #}", (Raw("%i"), "r", Raw("%i"))),
        ("{{ instance }}\r{{ instance }}r\r{# jinja #}", (Raw("%i"), "\r", Raw("%i"), "r\r")),
    ],
)
def test_render(text: str, parts: tuple[object, ...]) -> None:
    assert render(text, VARS, RUNTIME) == parts


def test_runtime_names_used_are_reported() -> None:
    used: set[str] = set()
    render("{{ runtime.version }}", VARS, RUNTIME, used)
    assert used == {"version"}


def test_a_compile_time_value_pins_a_runtime_value() -> None:
    used: set[str] = set()
    assert render("{{ runtime.version }}", {"version": "v42"}, RUNTIME, used) == ("v42",)
    assert used == set()


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("{{ instnce }}", "'instnce' is undefined", "did you mean 'instance'?"),
        ("{{ vars.regoin }}", "'regoin' is not set", "did you mean 'region'?"),
        ("{{ runtime.vresion }}", "'vresion' is not declared", "did you mean 'version'?"),
        ("{{ env.1X }}", "invalid template", None),
        ("{{ env }}", "needs a name", None),
        ("{% for x in y %}", "invalid template", None),
        ("{{ ''.__class__.__mro__ }}", "", None),
        ("{{ instance[1:] }}", "altered by a filter", None),
        ("{{ 'x' * 300000000 }}", "may not produce more than", None),
        ("{{ 9 ** 9 ** 9 }}", "'**' is not allowed", None),
    ],
)
def test_template_errors(text: str, message: str, hint: str | None) -> None:
    with pytest.raises(TemplateError) as caught:
        render(text, VARS, RUNTIME)
    assert message in caught.value.message
    if hint:
        assert caught.value.hint == hint


NAMES = st.sampled_from([*templating.SPECIFIERS, "env.HOME", "vars.region", "runtime.version", "vars.pct"])
LITERAL = st.text(st.characters(exclude_characters="{}\x00"), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(LITERAL, NAMES), max_size=4), LITERAL)
def test_the_fast_path_agrees_with_jinja(pieces: list[tuple[str, str]], tail: str) -> None:
    text = "".join(f"{lit}{{{{ {name} }}}}" for lit, name in pieces) + tail
    fast_used: set[str] = set()
    slow_used: set[str] = set()
    fast = render(text, VARS, RUNTIME, fast_used)
    # A jinja2 comment makes the text ineligible for the fast path without changing it.
    slow = render(text + "{# force jinja #}", VARS, RUNTIME, slow_used)
    assert fast == slow and fast_used == slow_used


@pytest.mark.parametrize("suffix", ["", "{# force jinja #}"], ids=["fast path", "jinja"])
@pytest.mark.parametrize("value", ["\x00", "\x000\x00"], ids=["NUL", "a marker's spelling"])
def test_a_compile_time_value_cannot_carry_a_nul_or_spell_a_specifier(suffix: str, value: str) -> None:
    # "\x000\x00" is how a Raw token is marked while rendering: it must not become %i.
    for text in ("{{ instance }}{{ vars.x }}", "{{ runtime.version }}"):
        with pytest.raises(TemplateError, match="contains a NUL character"):
            render(text + suffix, {"x": value, "version": value}, {"version": "/v"})


@pytest.mark.parametrize("suffix", ["", "{# force jinja #}"], ids=["fast path", "jinja"])
@pytest.mark.parametrize("text", ["{{ vars._values }}", "{{ env._X }}", "{{ runtime.__class__ }}", "{{ env.__dict__ }}", "{{ vars._x }}"])
def test_an_attribute_starting_with_an_underscore_is_refused_on_both_paths(suffix: str, text: str) -> None:
    # Looked up on the namespace objects, such a name would reach their own attributes
    # (a dict, a class): the sandbox refuses it, and so does the fast path, through it.
    with pytest.raises(TemplateError, match="is unsafe"):
        render(text + suffix, {"x": "1", "_x": "2"}, {"version": "/v"})
