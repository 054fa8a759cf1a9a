"""The 33 adversarial argv cases of ``systemd-syntax.md`` §13, as data.

Each case is an argv (executable + arguments, as bytes) and the one ``ExecStart=`` line that
makes systemd 252 execute exactly that argv (argv[0] = the executable).  The lines are the
reference's, checked there against systemd 252 with both oracles; ``test_oracle_harness``
checks them again here.  ``no_env_expand`` marks the case written with the ``:`` prefix,
whose ``$`` are not doubled.
"""

from __future__ import annotations

import attrs

PROG = b"/usr/bin/prog"


@attrs.frozen
class AdversarialCase:
    number: int
    name: str
    executable: bytes
    args: tuple[bytes, ...]
    expected_line: str  # the whole line, "ExecStart=..."
    no_env_expand: bool = False

    @property
    def argv(self) -> tuple[bytes, ...]:
        return (self.executable, *self.args)

    @property
    def unit_name(self) -> str:
        return f"case-{self.number:02d}-{self.name.replace('_', '-')}.service"

    @property
    def exec_value(self) -> str:
        """The text after ``ExecStart=``."""
        return self.expected_line.removeprefix("ExecStart=")

    def parse_time_argv(self) -> tuple[bytes, ...]:
        """The argv the verify dump shows (§11.A): before ``$`` expansion, so ``$`` doubled
        unless the ``:`` prefix is used."""
        if self.no_env_expand:
            return self.argv
        return tuple(a.replace(b"$", b"$$") for a in self.argv)


def _case(
    number: int, name: str, args: list[bytes], line: str, *, executable: bytes = PROG, no_env_expand: bool = False
) -> AdversarialCase:
    return AdversarialCase(number, name, executable, tuple(args), line, no_env_expand)


CASES: list[AdversarialCase] = [
    _case(1, "plain", [b"hello", b"world"], "ExecStart=/usr/bin/prog hello world"),
    _case(2, "empty", [b""], 'ExecStart=/usr/bin/prog ""'),
    _case(3, "space", [b"two words"], 'ExecStart=/usr/bin/prog "two words"'),
    _case(4, "pad", [b"  pad  "], 'ExecStart=/usr/bin/prog "  pad  "'),
    _case(5, "dquote", [b'say "hi"'], r'ExecStart=/usr/bin/prog "say \"hi\""'),
    _case(6, "squote", [b"it's"], 'ExecStart=/usr/bin/prog "it\'s"'),
    _case(7, "backslash", [b"C:\\dir\\x41"], r'ExecStart=/usr/bin/prog "C:\\dir\\x41"'),
    _case(8, "trail_bs", [b"end\\"], r'ExecStart=/usr/bin/prog "end\\"'),
    _case(9, "dollar_var", [b"$HOME"], "ExecStart=/usr/bin/prog $$HOME"),
    _case(10, "dollar_brace", [b"${HOME}"], 'ExecStart=/usr/bin/prog "$${HOME}"'),
    _case(11, "lone_dollar", [b"$"], "ExecStart=/usr/bin/prog $$"),
    _case(12, "double_dollar", [b"$$"], "ExecStart=/usr/bin/prog $$$$"),
    _case(13, "mid_dollar", [b"a$b${c}"], 'ExecStart=/usr/bin/prog "a$$b$${c}"'),
    _case(14, "percent", [b"100%"], "ExecStart=/usr/bin/prog 100%%"),
    _case(15, "spec_lookalike", [b"%n%i%%"], "ExecStart=/usr/bin/prog %%n%%i%%%%"),
    _case(16, "semicolon", [b";", b"x"], 'ExecStart=/usr/bin/prog ";" x'),
    _case(17, "bs_semicolon", [b"\\;"], r'ExecStart=/usr/bin/prog "\\;"'),
    _case(18, "ctl_nl_tab", [b"a\nb\tc\rd"], r'ExecStart=/usr/bin/prog "a\nb\tc\rd"'),
    _case(19, "ctl_other", [b"\x01\x1b[0m\x7f"], r'ExecStart=/usr/bin/prog "\x01\x1b[0m\x7f"'),
    _case(
        20,
        "utf8",
        [b"h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x99\x82"],
        'ExecStart=/usr/bin/prog "h\u00e9llo \u2713 \U0001f642"',
    ),
    _case(21, "bad_utf8", [b"\xff\xfe\xc3"], r'ExecStart=/usr/bin/prog "\xff\xfe\xc3"'),
    _case(22, "hash", [b"#notacomment", b";x"], 'ExecStart=/usr/bin/prog "#notacomment" ";x"'),
    _case(
        23,
        "shell_meta",
        [b"*.txt", b"|", b">out", b"&", b"`id`"],
        'ExecStart=/usr/bin/prog "*.txt" "|" ">out" "&" "`id`"',
    ),
    _case(24, "unit_escape", [b"foo@a\\x2db.service"], r'ExecStart=/usr/bin/prog "foo@a\\x2db.service"'),
    _case(25, "quotes_only", [b'""', b"''", b"'"], r'ExecStart=/usr/bin/prog "\"\"" ' + '"\'\'" "\'"'),
    _case(26, "bs_s", [b"\\s", b"\\ "], r'ExecStart=/usr/bin/prog "\\s" "\\ "'),
    _case(27, "spaces_only", [b"   "], 'ExecStart=/usr/bin/prog "   "'),
    _case(28, "dash_at", [b"-", b"@x", b"+y", b"!z", b":w"], 'ExecStart=/usr/bin/prog - @x +y "!z" :w'),
    _case(29, "brace_unterm", [b"${X", b"$X}"], 'ExecStart=/usr/bin/prog "$${X" "$$X}"'),
    _case(30, "long", [b"x" * 100000], "ExecStart=/usr/bin/prog " + "x" * 100000),
    _case(31, "path_space", [b"a"], 'ExecStart="/opt/my dir/prog" a', executable=b"/opt/my dir/prog"),
    _case(32, "path_percent", [b"x%"], "ExecStart=/opt/50%%dir/prog x%%", executable=b"/opt/50%dir/prog"),
    _case(
        33,
        "noenv_dollar",
        [b"$HOME", b"${X}", b"$$", b"50%"],
        'ExecStart=:/usr/bin/prog $HOME "${X}" $$ 50%%',
        no_env_expand=True,
    ),
]

assert [c.number for c in CASES] == list(range(1, 34))
