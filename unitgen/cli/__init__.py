"""The command line (click): ``main`` is the group, ``run`` the ``unitgen`` command.

Each command lives with its kin: ``build`` (compile, check, diff), ``show`` (lint,
schema, render, graph), ``fleet`` (submit); ``common`` holds what they share.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from unitgen import __version__
from unitgen.cli import build, fleet, show


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unitgen")
def main() -> None:
    """Compile TOML service specs into systemd unit files for fleet.

    \b
    Example:
      unitgen compile specs/               # writes out/<env>/*.service
      unitgen check                        # pre-commit/CI: is out/ up to date?
      unitgen lint out/                    # checks any unit files
      unitgen submit --env prod --dry-run  # the fleetctl commands, safely ordered

    Exit status: 0 success, 1 invalid specs or units or an out-of-date out/,
    2 usage error.  Colour only on a terminal, never with NO_COLOR set.  Shell
    completion: eval "$(_UNITGEN_COMPLETE=bash_source unitgen)" (zsh_source,
    fish_source; see docs/cli.md).
    """


for command in (build.compile, build.check, build.diff, show.lint, fleet.submit, show.schema, show.render, show.graph):
    main.add_command(command)


def run() -> None:
    """The ``unitgen`` command: internal errors become one line, not a traceback."""
    try:
        main(standalone_mode=True)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:  # the last line of defence
        internal_error(error)


def internal_error(error: Exception) -> NoReturn:
    """A bug in unitgen: one line (UNITGEN_DEBUG=1 shows the traceback), exit status 3."""
    if os.environ.get("UNITGEN_DEBUG"):
        raise error
    click.echo(f"unitgen: internal error: {type(error).__name__}: {error} (set UNITGEN_DEBUG=1 for details)", err=True)
    sys.exit(3)
