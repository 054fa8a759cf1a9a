"""The one way a spec asks for something that is not literal text: ``{{ … }}``.

Every string in a spec is literal: ``%`` and ``$`` mean themselves.  Inside ``{{ }}``
(jinja2, sandboxed, undefined names are errors) a spec may name

* systemd specifiers: ``{{ instance }}`` → ``%i``, ``{{ hostname }}`` → ``%H``, …
* runtime variables: ``{{ env.VERSION }}`` → ``${VERSION}`` (Exec lines only)
* compile-time values: ``{{ vars.region }}`` → the value given in the project or ``--set``

Rendering yields ``quoting`` parts: literal strings and ``Raw`` tokens, so escaping
stays in one place.  Strings without ``{`` never touch jinja2 (and never import it).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from unitgen.systemd.quoting import Part, Raw
from unitgen.systemd.values import env_name_is_valid

# name in a spec -> systemd specifier letter
SPECIFIERS: dict[str, str] = {
    "instance": "i",
    "instance_unescaped": "I",
    "unit": "n",
    "unit_base": "N",
    "prefix": "p",
    "prefix_unescaped": "P",
    "hostname": "H",
    "short_hostname": "l",
    "machine_id": "m",
    "boot_id": "b",
    "runtime_dir": "t",
    "user": "u",
    "home": "h",
}

_MARK = "\x00"
# Two NULs on each side: a marker ends in one NUL and the next starts with one, so with a
# literal "r" between them they would spell a one-NUL placeholder.
_CARRIAGE_RETURN = _MARK * 2 + "r" + _MARK * 2
_MARKER = re.compile(_MARK + r"(\d+)" + _MARK)


class TemplateError(ValueError):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def is_template(text: str) -> bool:
    return "{" in text and ("{{" in text or "{%" in text or "{#" in text)


class _Tokens:
    """Hands out numbered markers for Raw tokens while jinja renders."""

    def __init__(self) -> None:
        self.raws: list[Raw] = []

    def mark(self, raw: Raw) -> str:
        self.raws.append(raw)
        return f"{_MARK}{len(self.raws) - 1}{_MARK}"


def _env_variable(name: str) -> Raw:
    """``{{ env.NAME }}``: expanded by systemd when the command runs."""
    if not env_name_is_valid(name):
        raise TemplateError(f"{name!r} is not a valid environment variable name")
    return Raw("${" + name + "}", is_variable=True)


def _unmarked(name: str, value: str) -> str:
    """A compile-time value, which must not spell a marker (nor carry a NUL at all)."""
    if _MARK in value:
        raise TemplateError(f"compile-time value {name!r} contains a NUL character")
    return value


def _compile_time_value(name: str, values: Mapping[str, str]) -> str:
    """``{{ vars.NAME }}``: the value given in the project or with ``--set``."""
    if name not in values:
        from unitgen.diagnostics import did_you_mean

        known = ", ".join(sorted(values)) or "none are set"
        raise TemplateError(
            f"compile-time value {name!r} is not set (known: {known})",
            did_you_mean(name, values) or f"set it with --set {name}=… or in [vars] of unitgen.toml",
        )
    return _unmarked(name, values[name])


class _EnvNamespace:
    def __init__(self, tokens: _Tokens) -> None:
        self._tokens = tokens

    def __getattr__(self, name: str) -> str:
        return self._tokens.mark(_env_variable(name))

    __getitem__ = __getattr__


class _VarsNamespace:
    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> str:
        return _compile_time_value(name, self._values)

    __getitem__ = __getattr__


# No value in a unit needs more; a template like {{ 'x' * 10**9 }} must not exhaust memory.
MAX_RESULT = 1 << 20


@functools.lru_cache(maxsize=None)
def _environment():  # type: ignore[no-untyped-def]
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class BoundedEnvironment(ImmutableSandboxedEnvironment):  # type: ignore[misc]
        intercepted_binops = frozenset(["*", "**"])

        def call_binop(self, context, operator, left, right):  # type: ignore[no-untyped-def]
            if operator == "**":
                raise TemplateError("'**' is not allowed in a template")
            if isinstance(left, (str, list, tuple)) or isinstance(right, (str, list, tuple)):
                sequence, count = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
                if isinstance(count, int) and len(sequence) * max(count, 0) > MAX_RESULT:
                    raise TemplateError(f"a template may not produce more than {MAX_RESULT} characters")
            return super().call_binop(context, operator, left, right)

    return BoundedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@functools.lru_cache(maxsize=4096)
def _compile(text: str):  # type: ignore[no-untyped-def]
    return _environment().from_string(text)


def _runtime_value(name: str, keys: Mapping[str, str], pinned: Mapping[str, str], used: set[str]) -> str | Raw:
    """``{{ runtime.NAME }}``: the value pinned at compile time, else the variable that
    carries what is read from etcd at start (``name`` is added to ``used``)."""
    if name in pinned:
        return _unmarked(name, pinned[name])
    if name not in keys:
        from unitgen.diagnostics import did_you_mean

        raise TemplateError(
            f"runtime value {name!r} is not declared",
            did_you_mean(name, keys) or f"declare its etcd key under [runtime] in unitgen.toml, or pin it with --set {name}=…",
        )
    used.add(name)
    return Raw("${" + runtime_variable(name) + "}", is_variable=True)


class _RuntimeNamespace:
    """``{{ runtime.NAME }}``: read from etcd at start, unless pinned at compile time."""

    def __init__(self, tokens: _Tokens, keys: Mapping[str, str], pinned: Mapping[str, str], used: set[str]) -> None:
        self._tokens = tokens
        self._keys = keys
        self._pinned = pinned
        self._used = used

    def __getattr__(self, name: str) -> str:
        value = _runtime_value(name, self._keys, self._pinned, self._used)
        return value if isinstance(value, str) else self._tokens.mark(value)

    __getitem__ = __getattr__


@functools.lru_cache(maxsize=1024)
def runtime_variable(name: str) -> str:
    """The environment variable that carries a runtime value inside the unit."""
    return "UNITGEN_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def render(
    text: str,
    variables: Mapping[str, str],
    runtime_keys: Mapping[str, str] | None = None,
    used_runtime: set[str] | None = None,
) -> tuple[Part, ...]:
    """The parts a spec string stands for; raises TemplateError with a hint.

    ``runtime_keys`` maps runtime names to etcd keys; names used are added to
    ``used_runtime`` so the caller can generate the step that reads them.
    """
    if not is_template(text):
        return (text,)
    if _MARK in text:
        raise TemplateError("the value contains a NUL character")
    runtime = runtime_keys or {}
    used = used_runtime if used_runtime is not None else set()
    if _SIMPLE_TEMPLATE.fullmatch(text):
        return _render_simple(text, variables, runtime, used)
    from jinja2 import TemplateError as JinjaError
    from jinja2 import UndefinedError

    tokens = _Tokens()
    context: dict[str, object] = {name: tokens.mark(Raw("%" + letter)) for name, letter in SPECIFIERS.items()}
    context["env"] = _EnvNamespace(tokens)
    context["vars"] = _VarsNamespace(variables)
    context["runtime"] = _RuntimeNamespace(tokens, runtime, variables, used)
    try:
        # jinja2 turns every "\r" and "\r\n" into "\n"; carry carriage returns through it.
        rendered = _compile(text.replace("\r", _CARRIAGE_RETURN)).render(context).replace(_CARRIAGE_RETURN, "\r")
    except TemplateError:
        raise
    except UndefinedError as error:
        name = _undefined_name(str(error))
        hint = None
        if name:
            from unitgen.diagnostics import did_you_mean

            hint = did_you_mean(name, [*SPECIFIERS, "env", "vars", "runtime"])
        known = ", ".join(sorted(SPECIFIERS)) + ", env.NAME, vars.NAME, runtime.NAME"
        raise TemplateError(f"unknown name in template: {error} (known: {known})", hint) from None
    except JinjaError as error:
        raise TemplateError(f"invalid template: {error}", "write '{{ \"{{\" }}' for a literal '{{'") from None
    except Exception as error:  # the sandbox raises SecurityError and arbitrary filter errors
        raise TemplateError(f"template failed: {error}") from None
    return _split(rendered, tokens.raws)


# Templates made only of literal text and ``{{ name }}`` / ``{{ ns.NAME }}`` are by far
# the most common; they are evaluated directly, with the same context objects as jinja2,
# because compiling a jinja2 template costs about a millisecond.
# An attribute starting with '_' is left to jinja2, whose sandbox refuses it as unsafe:
# looked up here, it would reach the namespace object's own attributes.
_SIMPLE_EXPRESSION = r"\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z][A-Za-z0-9_]*))?[ \t]*\}\}"
_SIMPLE_TEMPLATE = re.compile(r"(?:[^{]|\{(?![{%#]))*(?:" + _SIMPLE_EXPRESSION + r"(?:[^{]|\{(?![{%#]))*)*", re.S)
_EXPRESSION = re.compile(_SIMPLE_EXPRESSION)


_SPECIFIER_TOKENS = {name: Raw("%" + letter) for name, letter in SPECIFIERS.items()}  # Raw is immutable: shared
_NAMESPACES = ("env", "vars", "runtime")


def _simple_value(name: str, attribute: str | None, variables: Mapping[str, str], runtime: Mapping[str, str], used: set[str]) -> Part:
    """What ``{{ name }}`` or ``{{ name.attribute }}`` gives with the context of ``render``."""
    if attribute is None:
        token = _SPECIFIER_TOKENS.get(name)
        if token is not None:
            return token
    if name in SPECIFIERS:
        raise TemplateError(f"'{name}' has no attribute '{attribute}'")
    if name not in _NAMESPACES:
        from unitgen.diagnostics import did_you_mean

        known = ", ".join(sorted(SPECIFIERS)) + ", env.NAME, vars.NAME, runtime.NAME"
        raise TemplateError(
            f"unknown name in template: '{name}' is undefined (known: {known})",
            did_you_mean(name, [*SPECIFIERS, *_NAMESPACES]),
        )
    if attribute is None:
        raise TemplateError(f"'{name}' needs a name after it, e.g. {{{{ {name}.NAME }}}}")
    if name == "env":
        return _env_variable(attribute)
    if name == "vars":
        return _compile_time_value(attribute, variables)
    return _runtime_value(attribute, runtime, variables, used)


def _render_simple(text: str, variables: Mapping[str, str], runtime: Mapping[str, str], used: set[str]) -> tuple[Part, ...]:
    # The parts are built directly, literal text merged, as ``_split`` gives them.
    parts: list[Part] = []
    literal = ""
    position = 0
    for match in _EXPRESSION.finditer(text):
        literal += text[position : match.start()]
        value = _simple_value(match.group(1), match.group(2), variables, runtime, used)
        if isinstance(value, str):
            literal += value
        else:
            if literal:
                parts.append(literal)
                literal = ""
            parts.append(value)
        position = match.end()
    literal += text[position:]
    if literal:
        parts.append(literal)
    return tuple(parts) or ("",)


def _undefined_name(message: str) -> str | None:
    match = re.search(r"'([^']+)' is undefined", message)
    return match.group(1) if match else None


def _split(rendered: str, raws: list[Raw]) -> tuple[Part, ...]:
    parts: list[Part] = []
    position = 0
    for match in _MARKER.finditer(rendered):
        if match.start() > position:
            parts.append(rendered[position : match.start()])
        parts.append(raws[int(match.group(1))])
        position = match.end()
    tail = rendered[position:]
    if tail:
        parts.append(tail)
    if any(isinstance(p, str) and _MARK in p for p in parts):
        raise TemplateError("a specifier or variable was altered by a filter; use it as it is")
    return tuple(parts) or ("",)
