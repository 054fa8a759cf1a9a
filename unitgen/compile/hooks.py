"""The spec's [hooks] as Exec lines: each command's argv, quoted so systemd runs exactly it.

``container.add_lifecycle`` places them: before_start after unitgen's own start steps (so
the runtime values and secrets are there and a leftover container is gone) and just before
``docker run``; after_start after it; stop before unitgen's ``docker stop``, which stops
the container last; after_stop after it.
"""

from __future__ import annotations

from unitgen.compile.encoding import SpecRenderer, SpecText, exec_line
from unitgen.compile.ir import UnitBuilder
from unitgen.spec.model import Hooks
from unitgen.spec.source import KeyPath
from unitgen.systemd import quoting


def add_hooks(renderer: SpecRenderer, out: UnitBuilder, key: str) -> None:
    """The commands of ``hooks.<key>``, in the order the spec gives them."""
    directive = dict(Hooks.DIRECTIVES)[key]
    for i, command in enumerate(getattr(renderer.spec.hooks, key)):
        path: KeyPath = ("hooks", key, i)
        if not command.argv:
            continue  # validation reports it
        program = renderer.parts(command.argv[0], path)
        if program is None or not (quoting.literal_text(program) or "/").startswith("/"):
            continue  # a relative program: validation reports it
        args = [SpecText(arg, path) for arg in command.argv[1:]]
        words = exec_line(renderer, program, args, ignore_failure=command.ignore_failure, program_path=path)
        if words is not None:
            out.add("Service", directive, words, renderer.origin(path))
