"""The command line (click): ``main`` is the group, ``run`` the ``unitgen`` command.

Each command lives with its kin: ``build`` (compile, check, diff), ``show`` (lint,
schema, render, graph), ``fleet`` (submit, status), ``deploy`` (deploy), ``compose`` (compose),
``importing`` (import); ``common`` holds what they share.  The group imports a command's
module when that command is asked for: ``check`` runs on every commit, and should not
pay for importing ``submit``'s or ``import``'s code.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from typing import NoReturn

import click
from click.utils import PacifyFlushWrapper

from unitgen import __version__

# command name -> the module of unitgen.cli that defines it, and the function's name there
COMMANDS: dict[str, tuple[str, str]] = {
    "compile": ("build", "compile"),
    "check": ("build", "check"),
    "diff": ("build", "diff"),
    "compose": ("compose", "compose"),
    "lint": ("show", "lint"),
    "submit": ("fleet", "submit"),
    "status": ("fleet", "status"),
    "deploy": ("deploy", "deploy"),
    "schema": ("show", "schema"),
    "render": ("show", "render"),
    "graph": ("show", "graph"),
    "import": ("importing", "import_units"),
}


class _CommandsOnDemand(click.Group):
    """click's group, loading a command's module only when the command is used (the way
    click's documentation shows for large command lines)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(f"unitgen.cli.{module_name}"), attribute)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_CommandsOnDemand, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="unitgen")
def main() -> None:
    """Compile TOML service specs into systemd unit files for fleet.

    \b
    Example:
      unitgen compile specs/               # writes out/<env>/*.service
      unitgen check                        # pre-commit/CI: is out/ up to date?
      unitgen lint out/                    # checks any unit files
      unitgen submit --env prod --dry-run  # the fleetctl commands, safely ordered
      unitgen status --env prod            # does fleet hold what out/prod holds?

    Exit status: 0 success, 1 invalid specs or units, an out-of-date out/ or a
    file that could not be read or written, 2 usage error, 3 a bug in unitgen,
    130/143 interrupted (SIGINT/SIGTERM), 141 the output's reader went away.
    Colour only on a terminal, never with NO_COLOR set.  Shell
    completion: eval "$(_UNITGEN_COMPLETE=bash_source unitgen)" (zsh_source,
    fish_source; see docs/cli.md).
    """


EXIT_INTERNAL_ERROR = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a process stopped by Ctrl-C
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE, as a shell reports a process whose reader left


def run() -> None:
    """The ``unitgen`` command.  Usage errors are click's; a closed output pipe (``| head``)
    ends quietly; an operating-system error is one line naming the file; anything else is
    a bug in unitgen, reported in one line, not a traceback."""
    try:
        main.main(standalone_mode=False)
        sys.stdout.flush()  # a full disk or a closed pipe shows here, not at exit
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.Abort as error:  # click's word for Ctrl-C
        if not isinstance(error.__cause__, KeyboardInterrupt):
            click.echo("Aborted!", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)
    except BrokenPipeError:
        _leave_quietly()
    except SystemExit:
        # click ends a command whose output pipe closed with exit status 1, having made
        # further writes silent; the shell's convention for that is 141.
        if isinstance(sys.stdout, PacifyFlushWrapper):
            sys.exit(EXIT_CLOSED_PIPE)
        raise
    except OSError as error:
        where = f"{error.filename}: " if error.filename else "standard output: " if _stdout_failed(error) else ""
        _echo_safely(f"unitgen: {where}{error.strerror or error}")
        sys.exit(1)
    except Exception as error:  # the last line of defence
        internal_error(error)


def _leave_quietly() -> None:
    """The reader of our output went away: say nothing more (Python would complain about
    the unflushed buffer at exit), and exit as a shell reports it."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    sys.exit(EXIT_CLOSED_PIPE)


def _stdout_failed(error: OSError) -> bool:
    return error.filename is None and error.filename2 is None


def _echo_safely(text: str) -> None:
    with contextlib.suppress(OSError):  # stderr is gone too: nothing more can be said
        click.echo(text, err=True)


def internal_error(error: Exception) -> NoReturn:
    """A bug in unitgen: one line (UNITGEN_DEBUG=1 shows the traceback), exit status 3."""
    if os.environ.get("UNITGEN_DEBUG"):
        raise error
    _echo_safely(f"unitgen: internal error: {type(error).__name__}: {error} (set UNITGEN_DEBUG=1 for details)")
    sys.exit(EXIT_INTERNAL_ERROR)
