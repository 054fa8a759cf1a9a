"""The expressions of ``{{ … }}`` beyond a plain reference, compiled and evaluated by
jinja2's sandbox: filters, ``~``, literals, operators.  ``templating`` hands them here;
importing jinja2 costs more than compiling a whole project whose templates are plain
references, so this module is imported only when an expression needs it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

import jinja2
from jinja2.environment import TemplateExpression
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from unitgen.diagnostics import did_you_mean
from unitgen.spec.templating import (
    CARRIAGE_RETURN,
    KNOWN,
    KNOWN_NAMES,
    LITERAL_BRACES_HINT,
    MAX_RESULT,
    TemplateError,
)


class _BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox, refusing ``**`` and a ``*`` that would build a huge string or list."""

    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise TemplateError("'**' is not allowed in a template")
        if isinstance(left, (str, list, tuple)) or isinstance(right, (str, list, tuple)):
            sequence, count = (left, right) if isinstance(left, (str, list, tuple)) else (right, left)
            if isinstance(count, int) and len(sequence) * max(count, 0) > MAX_RESULT:
                raise TemplateError(f"a template may not produce more than {MAX_RESULT} characters")
        return super().call_binop(context, operator, left, right)


_ENVIRONMENT = _BoundedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
_ENVIRONMENT.globals.clear()  # range, lipsum, …: the names a template may use are the documented ones


@functools.lru_cache(maxsize=4096)
def compile_expression(source: str) -> Callable[[Mapping[str, object]], str]:
    """The expression ``source`` as a function from the names a template sees to its
    text; raises TemplateError when it is not one expression."""
    try:
        expression = _ENVIRONMENT.compile_expression(source.replace("\r", CARRIAGE_RETURN), undefined_to_none=False)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(
            f"invalid template: what stands between '{{{{' and '}}}}' is not an expression ({error.message})",
            "write one expression, e.g. {{ instance }} or {{ vars.NAME }}; " + LITERAL_BRACES_HINT,
        ) from None
    return functools.partial(_evaluate, expression)


def _evaluate(expression: TemplateExpression, names: Mapping[str, object]) -> str:
    try:
        return str(expression(names))  # an undefined name fails here, when it is printed
    except TemplateError:
        raise
    except jinja2.UndefinedError as error:
        name = re.search(r"'([^']+)' is undefined", str(error))
        hint = did_you_mean(name.group(1), KNOWN_NAMES) if name else None
        raise TemplateError(f"unknown name in template: {error} (known: {KNOWN})", hint) from None
    except jinja2.TemplateError as error:  # the sandbox refusing an attribute
        raise TemplateError(f"invalid template: {error}") from None
    except Exception as error:  # a filter or operator failing on its operands
        raise TemplateError(f"template failed: {error}") from None
