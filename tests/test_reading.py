"""Reading a directory of specs: which files, in what order, and started before the
compiler loads, by workers that load nothing heavy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO, write_specs

from unitgen.spec.reading import file_stem, parse_spec_files, spec_paths, start_reading

SPEC = """\
[container]
image = "example/app{i}:v1"
command = ["serve", "{i}"]
"""


def test_every_toml_file_but_the_project_file_in_name_order(tmp_path: Path) -> None:
    specs = write_specs(tmp_path, {"b.toml": "", "a.toml": "", "unitgen.toml": "", "notes.md": "", "c.toml.bak": "", "A.toml": ""})
    assert [Path(p).name for p in spec_paths(specs)] == ["A.toml", "a.toml", "b.toml"]


@pytest.mark.parametrize(
    ("path", "stem"),
    [("specs/web.toml", "web"), ("specs/web.v2.toml", "web.v2"), ("specs/.toml", ".toml"), ("specs/web.", "web."), ("web", "web")],
)
def test_the_file_stem_is_what_pathlib_calls_it(path: str, stem: str) -> None:
    assert file_stem(path) == stem == Path(path).stem


def test_each_file_comes_back_checked_with_its_own_problems(tmp_path: Path) -> None:
    specs = write_specs(tmp_path, {"good.toml": SPEC.format(i=1), "typo.toml": SPEC.format(i=2) + "[contaner]\n", "broken.toml": "[container\n"})
    parsed = {Path(path).name: (text, data, [d.code for d in problems]) for path, _, text, data, problems, _, _ in parse_spec_files(spec_paths(specs))}
    assert parsed["good.toml"] == (SPEC.format(i=1), {"container": {"image": "example/app1:v1", "command": ["serve", "1"]}}, [])
    assert parsed["typo.toml"][2] == ["S100"]  # the unknown table is reported and dropped
    assert "contaner" not in parsed["typo.toml"][1]
    assert parsed["broken.toml"][0] is None and parsed["broken.toml"][2] == ["S003"]


def test_a_file_longer_than_one_read_comes_back_whole(tmp_path: Path) -> None:
    from unitgen import files

    long = "x" * (3 * files._READ_SIZE)
    specs = write_specs(tmp_path, {"long.toml": SPEC.format(i=1) + f'name = "{long}"\n'})
    [(_, _, text, data, problems, _, _)] = parse_spec_files(spec_paths(specs))
    assert text.endswith(f'name = "{long}"\n') and data["container"]["name"] == long and problems == []


def test_an_unreadable_spec_is_reported_where_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    specs = write_specs(tmp_path, {"app.toml": SPEC.format(i=1)})
    (specs / "dir.toml").mkdir()
    monkeypatch.chdir(tmp_path)
    parsed = parse_spec_files(spec_paths(specs))
    assert [(shown, text, [d.format() for d in problems]) for _, shown, text, _, problems, _, _ in parsed] == [
        ("specs/app.toml", SPEC.format(i=1), []),
        ("specs/dir.toml", None, ["specs/dir.toml: S001 error cannot read file: Is a directory"]),
    ]


def test_a_started_reading_gives_what_reading_at_once_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from unitgen import parallel

    specs = write_specs(tmp_path, {f"s{i:03d}.toml": SPEC.format(i=i) for i in range(300)})
    monkeypatch.setattr(parallel, "MIN_ITEMS", 4)
    in_workers = start_reading(specs).finish()
    assert in_workers == parse_spec_files(spec_paths(specs))
    assert len(in_workers) == 300


# Records, when the reading workers are forked, which modules the process has loaded.
RECORD_FORK = """\
import json, sys
from pathlib import Path
from unitgen import compile_command, parallel
parallel.MIN_ITEMS = 4
forked_with = []
start = parallel.start
def recording(work, items):
    forked_with.append(sorted(sys.modules))
    return start(work, items)
parallel.start = recording
result = compile_command.compile_specs(Path(sys.argv[1]), None, ())
print(json.dumps({"loaded": forked_with[0], "units": len(result.units), "ok": result.ok}))
"""


def test_the_files_are_read_while_the_compiler_loads(tmp_path: Path) -> None:
    specs = write_specs(tmp_path, {f"s{i:03d}.toml": SPEC.format(i=i) for i in range(50)})
    proc = subprocess.run([sys.executable, "-c", RECORD_FORK, str(specs)], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] and report["units"] == 50
    loaded = {name.split(".")[0] if not name.startswith("unitgen") else name for name in report["loaded"]}
    # Forked before the compiler, the model and attrs are imported: the workers parse
    # while this process loads them.
    assert not loaded & {"unitgen.compile.compiler", "unitgen.spec.model", "unitgen.spec.resolve", "attr", "attrs", "jinja2", "click"}
    assert "unitgen.spec.reading" in loaded


def test_a_first_compile_forks_the_readers_before_the_cache_and_output_stages_load(tmp_path: Path) -> None:
    specs = write_specs(tmp_path, {f"s{i:03d}.toml": SPEC.format(i=i) for i in range(50)})
    script = RECORD_FORK.replace(
        "result = compile_command.compile_specs(Path(sys.argv[1]), None, ())",
        "compile_command.run_compile(sys.argv[1], None, (), force=False, verify=False, quiet=True, no_cache=False)\n"
        "result = compile_command._left_to_exit[0]",
    )
    environment = {**os.environ, "UNITGEN_CACHE_DIR": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-c", script, str(specs)], capture_output=True, text=True, cwd=tmp_path, timeout=120, env=environment)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] and report["units"] == 50
    # No memo exists: knowing that takes os and hashlib; the memo code and the output
    # stage load while the workers read.
    assert not set(report["loaded"]) & {"unitgen.output.cache", "unitgen.output.plan", "unitgen.compile.compiler", "attr"}
    assert "unitgen.memo_slot" in report["loaded"]


def test_a_first_compile_reads_at_once_and_keys_what_it_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from unitgen import compile_command, parallel, parse_memo
    from unitgen.output import cache
    from unitgen.spec import reading

    specs = write_specs(tmp_path, {f"s{i:03d}.toml": SPEC.format(i=i) for i in range(50)})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(parallel, "MIN_ITEMS", 4)
    events: list[str] = []
    start, key_for, parse_spec = reading.start_reading, cache.key_for, parse_memo.parse_spec
    monkeypatch.setattr(reading, "start_reading", lambda *a, **k: (events.append("reading"), start(*a, **k))[1])
    monkeypatch.setattr(cache, "key_for", lambda *a: (events.append("key"), key_for(*a))[1])
    monkeypatch.setattr(parse_memo, "parse_spec", lambda path, *a, **k: (events.append(f"parse {Path(path).name}"), parse_spec(path, *a, **k))[1])

    def compile_once() -> str:
        events.clear()
        compile_command.run_compile(specs, None, (), force=False, verify=False, quiet=False, no_cache=False)
        return capsys.readouterr().out.splitlines()[0]

    # No memo yet: the workers read, and digest what they read for the key, which is
    # made after the compile.
    assert compile_once() == "out: 50 unit(s), 50 written, 0 removed, 0 unchanged"
    assert events == ["reading"]
    # The memo answers: no worker is forked at all.
    assert compile_once() == "out: 50 unit(s), 0 written, 0 removed, 50 unchanged"
    assert events == ["key"]
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
    # A memo that no longer answers (an edit): of the bytes the key read, only the edited
    # file is parsed again; the others are what the memo of parses kept.
    (specs / "s007.toml").write_text(SPEC.format(i=70))
    monkeypatch.setattr(parallel, "MIN_ITEMS", 200)  # all in this process, where events are recorded
    assert compile_once() == "out: 50 unit(s), 1 written, 0 removed, 49 unchanged"
    assert events == ["key", "parse s007.toml"]
