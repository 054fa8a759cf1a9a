"""A hand-written unit file as the importer sees it: systemd's reading of [Unit] and
[Service] (``systemd.unitfile``), fleet's reading of [X-Fleet] (``systemd.gounitfile``)."""

from __future__ import annotations

from pathlib import Path

import attrs

from unitgen.systemd.gounitfile import parse_go_systemd
from unitgen.systemd.unitfile import Entry, parse_systemd
from unitgen.systemd.unitnames import split_name


@attrs.frozen
class FleetLine:
    key: str
    value: str
    line: int


@attrs.frozen
class UnitSource:
    path: str  # as given on the command line, for messages
    file_name: str  # e.g. web@.service
    data: bytes
    entries: tuple[Entry, ...]  # [Unit], [Service] and every other section systemd reads
    fleet: tuple[FleetLine, ...]
    sections: tuple[tuple[str, int], ...]  # (name, line) of every section header
    unreadable: tuple[tuple[int, str], ...]  # (line, why) of lines neither reader understood

    @property
    def prefix(self) -> str:
        return split_name(self.file_name)[0]

    @property
    def instance(self) -> str | None:
        return split_name(self.file_name)[1]

    @property
    def suffix(self) -> str:
        return split_name(self.file_name)[2]

    @property
    def is_template(self) -> bool:
        return self.instance == ""

    def entries_in(self, section: str) -> list[Entry]:
        return [entry for entry in self.entries if entry.section == section]


def read_unit(path: Path, shown: str) -> UnitSource:
    data = path.read_bytes()
    parsed = parse_systemd(data)
    go = parse_go_systemd(data)
    entries = tuple(entry for entry in parsed.entries if entry.section != "X-Fleet")
    fleet = tuple(FleetLine(o.name, o.value, o.line) for o in go.options if o.section == "X-Fleet")
    unreadable = [(problem.line, problem.message) for problem in parsed.problems]
    if go.error is not None:
        unreadable.append((go.error_line or 1, f"fleet refuses the file: {go.error}"))
    return UnitSource(
        path=shown,
        file_name=path.name,
        data=data,
        entries=entries,
        fleet=fleet,
        sections=tuple((header.name, header.line) for header in parsed.headers),
        unreadable=tuple(unreadable),
    )
