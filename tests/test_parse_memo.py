"""The memo of parses: after an edit, only the files whose bytes changed are parsed again,
and what the others give is exactly what parsing them gives."""

from __future__ import annotations

import datetime
import hashlib
import marshal
import os
from pathlib import Path

import pytest
from helpers import run_unitgen, snapshot, write_specs

from unitgen import parallel, parse_memo
from unitgen.diagnostics import Diagnostic, Location, Severity
from unitgen.spec.reading import PROJECT_FILE, memo_entry, parse_spec_files, recalled_entry, spec_paths, start_reading

SPEC = """\
[container]
image = "example/app{i}:v1"
command = ["serve", "{i}", "100%", "$HOME"]
env = {{ MODE = "m{i}" }}
"""
FILES = {
    **{f"s{i:02d}.toml": SPEC.format(i=i) for i in range(12)},
    "typo.toml": SPEC.format(i=99) + "[contaner]\nimage = 1\n",  # an error with a place, a key path and a hint
    "broken.toml": "[container\n",  # does not parse: never memoised
    "unicode.toml": SPEC.format(i=98) + '[unit]\ndescription = "caf\u00e9 \u2014 \U0001f600"\n',
    PROJECT_FILE: "",
}


def inputs_of(specs: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The files' bytes and their sha256 by name, as the cache's key holds them."""
    inputs = {p.name: p.read_bytes() for p in sorted(specs.glob("*.toml"))}
    return inputs, {name: hashlib.sha256(content).digest() for name, content in inputs.items()}


@pytest.fixture
def specs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_specs(tmp_path, FILES)


@pytest.fixture
def parsed_again(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files the memo's reading parses (instead of recalling them)."""
    names: list[str] = []
    parse = parse_memo.parse_spec
    monkeypatch.setattr(parse_memo, "parse_spec", lambda path, *rest, **options: (names.append(Path(path).name), parse(path, *rest, **options))[1])
    return names


def memoised(specs: Path, slot: Path, context: str = "context") -> None:
    reading = start_reading(specs, memoised=True)
    reading.keep = lambda entries: parse_memo.store(str(slot), context, entries)
    reading.finish()


def test_recalled_files_are_exactly_what_parsing_them_gives(specs: Path, tmp_path: Path, parsed_again: list[str]) -> None:
    slot = tmp_path / "slot.json"
    memoised(specs, slot)
    recalled = parse_memo.reading(str(specs), *inputs_of(specs), parse_memo.recall(str(slot), "context")).finish()
    assert recalled == parse_spec_files(spec_paths(specs), memoised=True)
    assert parsed_again == ["broken.toml"]  # the one file that did not parse is parsed again
    typo = next(f for f in recalled if f[0].endswith("typo.toml"))
    assert [d.format() for d in typo[4]] == [d.format() for d in parse_spec_files([typo[0]])[0][4]] != []


def test_only_the_edited_file_is_parsed_again(specs: Path, tmp_path: Path, parsed_again: list[str]) -> None:
    slot = tmp_path / "slot.json"
    memoised(specs, slot)
    (specs / "s03.toml").write_text(SPEC.format(i=33))
    (specs / "new.toml").write_text(SPEC.format(i=44))
    recalled = parse_memo.reading(str(specs), *inputs_of(specs), parse_memo.recall(str(slot), "context")).finish()
    assert sorted(parsed_again) == ["broken.toml", "new.toml", "s03.toml"]
    assert recalled == parse_spec_files(spec_paths(specs), memoised=True)


def test_many_changed_files_are_parsed_by_workers_with_the_same_result(
    specs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "MIN_ITEMS", 4)
    slot = tmp_path / "slot.json"
    memoised(specs, slot)
    for i in range(12):
        (specs / f"s{i:02d}.toml").write_text(SPEC.format(i=i + 50))
    recalled = parse_memo.reading(str(specs), *inputs_of(specs), parse_memo.recall(str(slot), "context")).finish()
    assert recalled == parse_spec_files(spec_paths(specs), memoised=True)


def test_a_file_shown_by_another_path_is_parsed_again(specs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed_again: list[str]) -> None:
    slot = tmp_path / "slot.json"
    memoised(specs, slot)
    monkeypatch.chdir(specs)  # diagnostics would name "s00.toml", not "specs/s00.toml"
    recalled = parse_memo.reading(str(specs), *inputs_of(specs), parse_memo.recall(str(slot), "context")).finish()
    assert len(parsed_again) == len(FILES) - 1
    assert recalled == parse_spec_files(spec_paths(specs), memoised=True)


def test_the_memo_is_for_its_context_only(specs: Path, tmp_path: Path) -> None:
    slot = tmp_path / "slot.json"
    memoised(specs, slot, context="unitgen 1")
    assert parse_memo.recall(str(slot), "unitgen 1") != {}
    assert parse_memo.recall(str(slot), "unitgen 2") == {}


def damaged(content: bytes) -> list[tuple[str, bytes]]:
    """The memo file, damaged in ways that make it no memo at all."""
    first, _, payload = content.partition(b"\n")

    def resealed(value: object) -> bytes:
        body = marshal.dumps(value)
        return first.rsplit(b" ", 1)[0] + b" " + hashlib.sha256(body).hexdigest().encode() + b"\n" + body

    return [
        ("a changed byte", first + b"\n" + payload.replace(b"example/app1:", b"example/apq1:", 1)),
        ("cut short", content[: len(content) // 2]),
        ("empty", b""),
        ("no first line", payload),
        ("another format", first.replace(f"unitgen-parses/{parse_memo.FORMAT} ".encode(), b"unitgen-parses/999 ") + b"\n" + payload),
        ("not marshal", resealed(None)[:-2] + b"\xff\xff"),
        ("not a table", resealed([payload])),
    ]


def test_a_damaged_memo_is_no_memo(specs: Path, tmp_path: Path) -> None:
    slot = tmp_path / "slot.json"
    memoised(specs, slot)
    memo = Path(parse_memo.path_for(str(slot)))
    whole = memo.read_bytes()
    assert len(parse_memo.recall(str(slot), "context")) == len(FILES) - 2  # all but the project file and the broken one
    for what, content in damaged(whole):
        memo.write_bytes(content)
        assert parse_memo.recall(str(slot), "context") == {}, what


@pytest.mark.parametrize(
    "entry",
    [
        "not bytes",
        b"not marshal \xff",
        marshal.dumps(("digest", "shown", {})),
        marshal.dumps(("digest", "shown", [], [])),
        marshal.dumps(("d", "s", {}, [("S100", "error", "m", ("f", "1", 2), None, None)])),
        marshal.dumps(("d", "s", {}, [("S100", "fatal", "m", None, None, None)])),
        marshal.dumps(("d", "s", {}, [("S100", "error", "m", None, None)])),
        marshal.dumps(("d", "s", {}, [("S100", "error", 3, None, None, None)])),
    ],
)
def test_an_entry_of_another_shape_is_no_entry(entry: object) -> None:
    assert recalled_entry(entry) is None


def test_a_damaged_entry_means_its_file_is_parsed_again(specs: Path, tmp_path: Path, parsed_again: list[str]) -> None:
    slot = tmp_path / "slot.json"
    memoised(specs, slot)
    known = parse_memo.recall(str(slot), "context")
    web = str(specs / "s01.toml")
    known[web] = marshal.dumps(("d", "s", {}, [("S100", "fatal", "m", None, None, None)]))
    recalled = parse_memo.reading(str(specs), *inputs_of(specs), known).finish()
    assert sorted(parsed_again) == ["broken.toml", "s01.toml"]
    assert recalled == parse_spec_files(spec_paths(specs), memoised=True)


def test_an_entry_holds_what_parsing_gave() -> None:
    problems = [
        Diagnostic("S100", Severity.ERROR, "unknown key", Location("specs/a.toml", 3, 1), "container.imag", "did you mean 'image'?"),
        Diagnostic("S000", Severity.WARNING, "no place", None, None, None),
    ]
    data = {"container": {"image": "x", "command": ["a", "100%"]}, "instances": {"names": ["1"]}, "n": 3, "b": True}
    entry = memo_entry(b"\x01\x23" * 16, "specs/a.toml", data, problems)
    assert recalled_entry(entry) == (b"\x01\x23" * 16, "specs/a.toml", data, problems)


def test_data_marshal_cannot_hold_has_no_entry() -> None:
    assert memo_entry(b"\x01\x23" * 16, "a.toml", {"when": datetime.date(2026, 11, 28)}, []) is None


def test_a_memo_that_cannot_be_written_is_no_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    parse_memo.store(str(blocker / "slot.json"), "context", {})
    assert blocker.read_text() == "not a directory"


# --- the whole command -----------------------------------------------------------------


def test_a_compile_after_an_edit_writes_what_a_compile_without_memos_writes(tmp_path: Path, private_cache: Path) -> None:
    files = {name: text for name, text in FILES.items() if name not in ("typo.toml", "broken.toml")}
    with_memos = write_specs(tmp_path / "memos", files).parent
    without = write_specs(tmp_path / "none", files).parent
    assert run_unitgen("compile", "specs", cwd=with_memos).returncode == 0
    assert run_unitgen("compile", "specs", "--no-cache", cwd=without).returncode == 0
    assert len(list(private_cache.glob("*.parses"))) == 1
    for project in (with_memos, without):
        (project / "specs" / "s05.toml").write_text(SPEC.format(i=55))
        (project / "specs" / "s06.toml").unlink()
    edited = run_unitgen("compile", "specs", cwd=with_memos)
    plain = run_unitgen("compile", "specs", "--no-cache", cwd=without)
    assert (edited.returncode, edited.stdout, edited.stderr) == (plain.returncode, plain.stdout, plain.stderr)
    assert "1 written, 1 removed" in edited.stdout
    assert snapshot(with_memos / "out") == snapshot(without / "out")
    # and check, after another edit, answers as it does without any memo
    for project in (with_memos, without):
        (project / "specs" / "s07.toml").write_text(SPEC.format(i=77))
    checked = run_unitgen("check", "specs", cwd=with_memos)
    plain = run_unitgen("check", "specs", "--no-cache", cwd=without)
    assert checked.returncode == plain.returncode == 1
    assert checked.stderr == plain.stderr and "s07.service" in checked.stderr


def test_an_edit_that_breaks_a_spec_reports_it_from_the_bytes_read(tmp_path: Path, private_cache: Path) -> None:
    project = write_specs(tmp_path, {"web.toml": SPEC.format(i=1), "api.toml": SPEC.format(i=2)}).parent
    assert run_unitgen("compile", "specs", cwd=project).returncode == 0
    before = snapshot(project / "out")
    (project / "specs" / "api.toml").write_text(SPEC.format(i=2) + "[contaner]\n")
    run = run_unitgen("compile", "specs", cwd=project)
    assert run.returncode == 1
    assert "specs/api.toml:5:1: S100 error" in run.stderr and "contaner" in run.stderr
    assert snapshot(project / "out") == before
    assert os.listdir(project / "out")
