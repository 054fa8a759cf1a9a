"""docs/spec.md is the product's interface: its key tables must equal the schema."""

from __future__ import annotations

import re

from helpers import REPO

from unitgen.spec import schema
from unitgen.spec.schema_export import key_reference

DOC = (REPO / "docs" / "spec.md").read_text()


def _between(label: str) -> str:
    match = re.search(rf"<!-- BEGIN {label} [^>]*-->\n(.*?)<!-- END {label} -->", DOC, re.S)
    assert match, f"docs/spec.md lost its {label} markers"
    return match.group(1)


def test_spec_key_table_is_the_schema() -> None:
    assert _between("spec keys") == key_reference(schema.SPEC)


def test_project_key_table_is_the_schema() -> None:
    assert _between("project keys") == key_reference(schema.PROJECT)


def test_every_template_name_is_documented() -> None:
    from unitgen.spec.templating import SPECIFIERS

    for name in SPECIFIERS:
        assert f"{{{{ {name} }}}}" in DOC, name
