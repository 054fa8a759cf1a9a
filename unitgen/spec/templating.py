"""The one way a spec asks for something that is not literal text: ``{{ … }}``.

Every string in a spec is literal: ``%``, ``$``, ``{%`` and ``{#`` mean themselves.  Only
``{{ expression }}`` is special; the expression is jinja2's, evaluated in its sandbox
(``spec.sandbox``), where undefined names are errors.  A spec may name

* systemd specifiers: ``{{ instance }}`` → ``%i``, ``{{ hostname }}`` → ``%H``, …
* runtime variables: ``{{ env.VERSION }}`` → ``${VERSION}`` (Exec lines only)
* compile-time values: ``{{ vars.region }}`` → the value given in the project or ``--set``
* values read from etcd at start: ``{{ runtime.version }}``

A plain reference such as these (a name, or a name and an attribute) is looked up here;
it means what jinja2 would make of it, and most specs hold nothing else.

Rendering yields ``quoting`` parts: literal strings and ``Raw`` tokens, so escaping
stays in one place.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping

from unitgen.diagnostics import did_you_mean
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
_NAMESPACES = ("env", "vars", "runtime")
KNOWN_NAMES = (*SPECIFIERS, *_NAMESPACES)  # every name a template sees
KNOWN = ", ".join(sorted(SPECIFIERS)) + ", env.NAME, vars.NAME, runtime.NAME"
LITERAL_BRACES_HINT = "write {{ '{{' }} for a literal '{{'"

# No value in a unit needs more; a template like {{ 'x' * 10**9 }} must not exhaust memory.
MAX_RESULT = 1 << 20

# ``{{``, the expression, ``}}``.  A quoted string in the expression may hold ``}}``, as
# in jinja2's own lexer; a single ``}`` (closing a dict literal) is part of it.
_EXPRESSION = re.compile(r"""\{\{((?:[^'"}]|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\}(?!\}))*)\}\}""", re.S)

# A plain reference: ``instance``, ``vars.region``; jinja2 allows white space around the dot.
# An attribute starting with "_" is left to the sandbox, which refuses it; so is anything
# else, such as an attribute of a specifier.
_REFERENCE = re.compile(r"\s*([a-z_]+)(?:\s*\.\s*([A-Za-z][A-Za-z0-9_]*))?\s*")

# A Raw token travels through an expression as a marker, NUL + its number + NUL, so that
# filters and ``~`` may place it; the text a spec writes can hold no NUL.
_MARK = "\x00"
_MARKER = re.compile(_MARK + r"(\d+)" + _MARK)
# jinja2 turns each "\r" and "\r\n" in a string literal into "\n"; carriage returns are
# carried through it spelled with NULs.  Two on each side: a marker ends in one NUL and the
# next starts with one, so with a literal "r" between them they would spell a one-NUL one.
CARRIAGE_RETURN = _MARK * 2 + "r" + _MARK * 2


class TemplateError(ValueError):
    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def contains_template(text: str) -> bool:
    """Whether ``text`` holds a ``{{ … }}``; any other text is the value as it is."""
    return "{{" in text


def runtime_variable(name: str) -> str:
    """The environment variable that carries a runtime value inside the unit."""
    return "UNITGEN_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


Expression = Callable[[Mapping[str, object]], str]  # the names a template sees -> its text


@functools.lru_cache(maxsize=4096)
def _expression(source: str) -> Expression:
    """One expression compiled; the same few recur in every spec of a project."""
    reference = _REFERENCE.fullmatch(source)
    if reference is not None:
        name, attribute = reference.groups()
        if attribute is None and name in KNOWN_NAMES:
            return lambda names: str(names[name])
        if attribute is not None and name in _NAMESPACES:
            return lambda names: str(getattr(names[name], attribute))
    from unitgen.spec import sandbox

    return sandbox.compile_expression(source)


def _pieces(text: str) -> list[str | Expression]:
    """The text cut into literal text and the compiled expressions between ``{{ }}``."""
    pieces: list[str | Expression] = []
    position = 0
    while (start := text.find("{{", position)) != -1:
        match = _EXPRESSION.match(text, start)
        if match is None:
            raise TemplateError("invalid template: a '{{' is not closed by '}}'", LITERAL_BRACES_HINT)
        pieces += [text[position:start], _expression(match.group(1))]
        position = match.end()
    pieces.append(text[position:])
    return pieces


def _marker(number: int) -> str:
    return f"{_MARK}{number}{_MARK}"


# The specifiers are the first Raw tokens of every rendering, so their markers are the same.
_SPECIFIER_RAWS = [Raw("%" + letter) for letter in SPECIFIERS.values()]
_SPECIFIER_MARKERS = {name: _marker(number) for number, name in enumerate(SPECIFIERS)}


class _Tokens:
    """Hands out numbered markers for Raw tokens while expressions are evaluated."""

    def __init__(self) -> None:
        self.raws: list[Raw] = list(_SPECIFIER_RAWS)

    def mark(self, raw: Raw) -> str:
        self.raws.append(raw)
        return _marker(len(self.raws) - 1)


def _unmarked(name: str, value: str) -> str:
    """A compile-time value, which must not spell a marker (nor carry a NUL at all)."""
    if _MARK in value:
        raise TemplateError(f"compile-time value {name!r} contains a NUL character")
    return value


class _Namespace:
    """``env``, ``vars`` or ``runtime``: each name looked up in it is a value.  Its own
    attributes start with '_', which no template may look up."""

    _namespace: str

    def __getattr__(self, name: str) -> str:
        raise NotImplementedError

    def __getitem__(self, name: str) -> str:
        return self.__getattr__(name)

    def __str__(self) -> str:
        raise TemplateError(f"'{self._namespace}' needs a name after it, e.g. {{{{ {self._namespace}.NAME }}}}")


class _EnvNamespace(_Namespace):
    """``{{ env.NAME }}``: expanded by systemd when the command runs."""

    _namespace = "env"

    def __init__(self, tokens: _Tokens) -> None:
        self._tokens = tokens

    def __getattr__(self, name: str) -> str:
        if not env_name_is_valid(name):
            raise TemplateError(f"{name!r} is not a valid environment variable name")
        return self._tokens.mark(Raw("${" + name + "}", is_variable=True))


class _VarsNamespace(_Namespace):
    """``{{ vars.NAME }}``: the value given in the project or with ``--set``."""

    _namespace = "vars"

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = values

    def __getattr__(self, name: str) -> str:
        if name not in self._values:
            known = ", ".join(sorted(self._values)) or "none are set"
            raise TemplateError(
                f"compile-time value {name!r} is not set (known: {known})",
                did_you_mean(name, self._values) or f"set it with --set {name}=… or in [vars] of unitgen.toml",
            )
        return _unmarked(name, self._values[name])


class _RuntimeNamespace(_Namespace):
    """``{{ runtime.NAME }}``: the value pinned at compile time, else the variable that
    carries what is read from etcd at start (``name`` is added to ``used``)."""

    _namespace = "runtime"

    def __init__(self, tokens: _Tokens, keys: Mapping[str, str], pinned: Mapping[str, str], used: set[str]) -> None:
        self._tokens = tokens
        self._keys = keys
        self._pinned = pinned
        self._used = used

    def __getattr__(self, name: str) -> str:
        if name in self._pinned:
            return _unmarked(name, self._pinned[name])
        if name not in self._keys:
            raise TemplateError(
                f"runtime value {name!r} is not declared",
                did_you_mean(name, self._keys)
                or f"declare its etcd key under [runtime] in unitgen.toml, or pin it with --set {name}=…",
            )
        self._used.add(name)
        return self._tokens.mark(Raw("${" + runtime_variable(name) + "}", is_variable=True))


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
    if not contains_template(text):
        return (text,)
    if _MARK in text:
        raise TemplateError("the value contains a NUL character")
    tokens = _Tokens()
    used = used_runtime if used_runtime is not None else set()
    context = {
        **_SPECIFIER_MARKERS,
        "env": _EnvNamespace(tokens),
        "vars": _VarsNamespace(variables),
        "runtime": _RuntimeNamespace(tokens, runtime_keys or {}, variables, used),
    }
    rendered = "".join(piece if isinstance(piece, str) else piece(context) for piece in _pieces(text))
    return _split(rendered.replace(CARRIAGE_RETURN, "\r"), tokens.raws)


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
