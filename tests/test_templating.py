"""The template language of docs/spec.md: every string is literal, only ``{{ … }}`` is
special, and what stands inside is one expression naming a specifier, a variable or a value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import write_specs
from hypothesis import given
from hypothesis import strategies as st

from unitgen.compile.compiler import compile_specs
from unitgen.spec.templating import SPECIFIERS, TemplateError, contains_template, render
from unitgen.systemd.quoting import Raw

VARS = {"region": "eu-west-1", "pct": "50%", "name": "a name"}
RUNTIME = {"version": "/app-version"}


def exec_start(tmp_path: Path, command: str, extra: str = "") -> str:
    """The ExecStart= line of a spec whose container runs ``command`` (a TOML array)."""
    specs = write_specs(tmp_path, {"web.toml": f'[container]\nimage = "example/app:v1"\ncommand = {command}\n{extra}'})
    result = compile_specs(specs)
    assert result.ok, [d.format() for d in result.diagnostics]
    (text,) = result.files.values()
    (line,) = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    return line


# --- Strings are literal: only {{ … }} is special -----------------------------------------


def test_a_jinja_comment_sign_is_text(tmp_path: Path) -> None:
    line = exec_start(tmp_path, """["sh", "-c", "echo ${#HOME} done #}"]""")
    assert line == 'ExecStart=/usr/bin/docker run --name web example/app:v1 sh -c "echo $${#HOME} done #}"'


def test_a_jinja_statement_sign_is_text(tmp_path: Path) -> None:
    line = exec_start(tmp_path, """["sh", "-c", "printf {%d}"]""")
    assert line == 'ExecStart=/usr/bin/docker run --name web example/app:v1 sh -c "printf {%%d}"'


def test_a_jinja_loop_is_text_and_does_not_run(tmp_path: Path) -> None:
    line = exec_start(tmp_path, """["echo", "{% for x in 'ab' %}x{% endfor %}", "{# note #}"]""")
    assert line == (
        "ExecStart=/usr/bin/docker run --name web example/app:v1 echo "
        '"{%% for x in \'ab\' %%}x{%% endfor %%}" "{# note #}"'
    )


@pytest.mark.parametrize(
    "text",
    ["100% $HOME %i", "{b} }} {", "a}}b", "{%- raw -%}", "{#", "#}", "%}", "{ {", "{%d}{#x#}{% if %}"],
)
def test_text_without_double_braces_is_the_value(text: str) -> None:
    assert not contains_template(text)
    assert render(text, VARS) == (text,)


@given(st.text().filter(lambda text: "{{" not in text))
def test_any_text_without_double_braces_is_the_value(text: str) -> None:
    assert render(text, VARS, RUNTIME) == (text,)


# --- What {{ … }} may ask for --------------------------------------------------------------


def test_specifiers_and_variables_in_a_command(tmp_path: Path) -> None:
    command = """["serve", "{{ instance }}", "--host={{ hostname }}", "{{ env.HOME }}", "{{ vars.region }}"]"""
    files = {"unitgen.toml": '[vars]\nregion = "eu-west-1"\n'}
    write_specs(tmp_path, files)
    line = exec_start(tmp_path, command, '[instances]\nnames = ["1"]\n')
    assert line == 'ExecStart=/usr/bin/docker run --name web-%i example/app:v1 serve %i --host=%H "${HOME}" eu-west-1'


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("web-{{ instance }}", ("web-", Raw("%i"))),
        ("{{hostname}}:80", (Raw("%H"), ":80")),
        ("{{ env.PORT }}", (Raw("${PORT}", is_variable=True),)),
        ("{{ vars.region }}/{{ vars.pct }}", ("eu-west-1/50%",)),
        ("{{ vars.name }} {{ env.name }}", ("a name ", Raw("${name}", is_variable=True))),
        ("{{ runtime.version }}", (Raw("${UNITGEN_VERSION}", is_variable=True),)),
        ("{{ '{{' }}literal", ("{{literal",)),
        ("{{ '}}' }} and {%", ("}} and {%",)),
        ("{{ vars.region | upper }}", ("EU-WEST-1",)),
        ("{{ instance ~ '-' ~ unit }}", (Raw("%i"), "-", Raw("%n"))),
        ("cr\r lf\n crlf\r\n{{ vars.region }}", ("cr\r lf\n crlf\r\neu-west-1",)),
        ("{{ 'a\rb' }}", ("a\rb",)),
        # Two markers around a literal "r" once read as a carriage return.
        ("{{ instance }}r{{ instance }}", (Raw("%i"), "r", Raw("%i"))),
        ("{{ instance }}\r{{ instance }}r\r", (Raw("%i"), "\r", Raw("%i"), "r\r")),
    ],
)
def test_render(text: str, parts: tuple[object, ...]) -> None:
    assert contains_template(text)
    assert render(text, VARS, RUNTIME) == parts


def test_runtime_names_used_are_reported() -> None:
    used: set[str] = set()
    render("{{ runtime.version }}", VARS, RUNTIME, used)
    assert used == {"version"}


def test_a_compile_time_value_pins_a_runtime_value() -> None:
    used: set[str] = set()
    assert render("{{ runtime.version }}", {"version": "v42"}, RUNTIME, used) == ("v42",)
    assert used == set()


# --- Errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("{{ instnce }}", "unknown name in template: 'instnce' is undefined (known: ", "did you mean 'instance'?"),
        ("{{ vars.regoin }}", "'regoin' is not set", "did you mean 'region'?"),
        ("{{ runtime.vresion }}", "'vresion' is not declared", "did you mean 'version'?"),
        ("{{ env.1X }}", "is not an expression", None),
        ("{{ env }}", "needs a name", None),
        ("{{ range(3) }}", "'range' is undefined", None),  # only the documented names are defined
        ("{{ ''.__class__.__mro__ }}", "is unsafe", None),
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


@pytest.mark.parametrize(
    "text", ["{{ for x in y }}", "{{ if true }}", "{{ set x = 1 }}", "{{ % for x in y % }}", "{{ # note # }}", "{{ }}"]
)
def test_only_an_expression_stands_between_double_braces(text: str) -> None:
    with pytest.raises(TemplateError, match="is not an expression"):
        render(text, VARS)


def test_a_dash_inside_double_braces_is_no_whitespace_control() -> None:
    with pytest.raises(TemplateError, match="bad operand type for unary -"):
        render("a {{- instance }}", VARS)


def test_a_statement_inside_double_braces_is_reported_at_its_key(tmp_path: Path) -> None:
    specs = write_specs(
        tmp_path, {"web.toml": '[container]\nimage = "example/app:v1"\ncommand = ["{{ for x in y }}"]\n'}
    )
    (found,) = [d for d in compile_specs(specs).diagnostics if d.is_error]
    assert found.code == "S402" and found.key_path == "container.command[0]"
    assert "is not an expression" in found.message
    assert found.hint is not None and "{{ instance }}" in found.hint


@pytest.mark.parametrize("text", ["{{ instance", "a {{", "{{ instance }} {{ 'unclosed }}"])
def test_a_double_brace_without_its_end_is_an_error(text: str) -> None:
    with pytest.raises(TemplateError, match="not closed") as caught:
        render(text, VARS)
    assert caught.value.hint is not None and "{{ '{{' }}" in caught.value.hint


@pytest.mark.parametrize("value", ["\x00", "\x000\x00"], ids=["NUL", "a marker's spelling"])
def test_a_compile_time_value_cannot_carry_a_nul_or_spell_a_specifier(value: str) -> None:
    # "\x000\x00" is how a Raw token is marked while rendering: it must not become %i.
    for text in ("{{ instance }}{{ vars.x }}", "{{ runtime.version }}"):
        with pytest.raises(TemplateError, match="contains a NUL character"):
            render(text, {"x": value, "version": value}, {"version": "/v"})


@pytest.mark.parametrize(
    "text", ["{{ vars._values }}", "{{ env._X }}", "{{ runtime.__class__ }}", "{{ env.__dict__ }}", "{{ vars._x }}"]
)
def test_an_attribute_starting_with_an_underscore_is_refused(text: str) -> None:
    # Looked up on the namespace objects, such a name would reach their own attributes
    # (a dict, a class): the sandbox refuses it.
    with pytest.raises(TemplateError, match="is unsafe"):
        render(text, {"x": "1", "_x": "2"}, {"version": "/v"})


# --- A plain reference is looked up without jinja2, and means the same --------------------

PLAIN_REFERENCES = [
    *(f"{{{{ {name} }}}}" for name in SPECIFIERS),
    "{{ env.HOME }}",
    "{{vars.region}}",
    "{{ vars . pct }}",
    "{{\nruntime.version\n}}",
    "{{ runtime.region }}",  # a compile-time value pins a runtime value
    "{{ vars.regoin }}",  # not set: an error
    "{{ runtime.vresion }}",  # not declared: an error
    "{{ env.if }}",  # a keyword is a name after a dot
    "{{ vars }}",  # a namespace without a name: an error
]


def _outcome(text: str) -> tuple[str, object]:
    used: set[str] = set()
    try:
        return "parts", (render(text, VARS, RUNTIME, used), used)
    except TemplateError as error:
        return "error", (error.message, error.hint)


@pytest.mark.parametrize("text", PLAIN_REFERENCES)
def test_a_plain_reference_means_what_jinja2_makes_of_it(text: str) -> None:
    # In parentheses the same expression is no plain reference: jinja2's sandbox evaluates it.
    inside = text[2:-2]
    assert _outcome(text) == _outcome("{{ (" + inside + ") }}")


def test_templates_of_plain_references_do_not_import_jinja2() -> None:
    program = (
        "import sys\n"
        "from unitgen.spec.templating import render\n"
        "render('{{ instance }}-{{ vars.a }} {{ runtime.v }} {{ env.HOME }}', {'a': '1'}, {'v': '/v'})\n"
        "assert 'jinja2' not in sys.modules, 'plain references imported jinja2'\n"
        "render('{{ vars.a | upper }}', {'a': '1'})\n"
        "assert 'jinja2' in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
