"""Unit-name rules of systemd 252 and fleet v1.0.0 (fleet.md §2, systemd-syntax.md §7)."""

from __future__ import annotations

import pytest

from unitgen.systemd.directives import SECTIONS_BY_SUFFIX
from unitgen.systemd.unitnames import (
    FLEETCTL_SUBMITTABLE,
    SUFFIXES,
    TEMPLATE_SUFFIXES,
    fleet_name_problem,
    fleetctl_submit_problem,
    is_template,
    split_name,
    systemd_name_problem,
)


def test_tables() -> None:
    assert len(SUFFIXES) == 11 and "busname" not in SUFFIXES
    assert {"path", "service", "socket", "target", "timer"} == TEMPLATE_SUFFIXES
    assert set(SECTIONS_BY_SUFFIX) == SUFFIXES  # systemd reads a known set of sections for every unit type
    assert "target" not in FLEETCTL_SUBMITTABLE and "device" in FLEETCTL_SUBMITTABLE


@pytest.mark.parametrize(
    "name",
    [
        "foo.service",
        "foo@.service",
        "foo@bar.service",
        "a@b@c.service",
        "a\\x2db.mount",
        "x:y_z.timer",
        "a" * 247 + ".service",
    ],
)
def test_systemd_accepts(name: str) -> None:
    assert systemd_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "empty"),
        ("a" * 248 + ".service", "256 bytes"),
        ("noext", "no '.suffix'"),
        (".service", "nothing before"),
        ("foo.badsuffix", "not a unit type"),
        ("foo.SERVICE", "not a unit type"),
        ("has space.service", "' '"),
        ("ünï.service", "'ü'"),
        ("@foo.service", "starts with '@'"),
    ],
)
def test_systemd_rejects(name: str, fragment: str) -> None:
    problem = systemd_name_problem(name)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "unit name cannot be empty"),
        ("a" * 249 + ".service", "unit name exceeds maximum length (256)"),
        ("noext", 'unit name must contain "."'),
        ("foo.", 'unit name cannot end in "."'),
        ("foo.SERVICE", 'invalid unit type: "SERVICE"'),
        ("foo@.mount", 'invalid unit type for template: "mount"'),
        ("foo@bar.device", 'invalid unit type for template: "device"'),
        ("fo o.service", "invalid character ' ' in unit name"),
        ("@foo.service", 'unit name cannot start in "@"'),
    ],
)
def test_fleet_messages(name: str, message: str) -> None:
    problem = fleet_name_problem(name)
    assert problem is not None and message in problem


def test_fleet_is_looser_than_systemd() -> None:
    assert fleet_name_problem(".service") is None
    assert fleet_name_problem("a" * 248 + ".service") is None  # 256 bytes: fleet yes, systemd no
    assert systemd_name_problem("a" * 248 + ".service") is not None
    assert fleet_name_problem("foo.busname") is None


@pytest.mark.parametrize(
    ("name", "systemd_ok", "fleet_ok"),
    [
        ("a.b.service", True, True),
        ("a@b@c.timer", True, True),
        ("a@b.mount", True, False),
        ("a.busname@x.service", True, True),
        ("a@.busname", False, False),
        ("a.snapshot", False, True),
        (".busname", False, True),
        ("a.service\n", False, False),
        ("a.service.", False, False),
        ("éé.service", False, False),
        ("a" * 247 + "@.service", False, True),  # 256 bytes
        ("a" * 248 + "@.service", False, False),
    ],
)
def test_valid_names_and_near_misses(name: str, systemd_ok: bool, fleet_ok: bool) -> None:
    # Valid names are recognised by one regex match before the step-by-step checks;
    # these sit on either side of that shortcut's edges.
    assert (systemd_name_problem(name) is None) == systemd_ok
    assert (fleet_name_problem(name) is None) == fleet_ok


def test_fleetctl_submit() -> None:
    assert fleetctl_submit_problem("foo.service") is None
    problem = fleetctl_submit_problem("foo.target")
    assert problem is not None and "foo.target.service" in problem


def test_split_name() -> None:
    assert split_name("foo@bar.service") == ("foo", "bar", "service")
    assert split_name("foo@.service") == ("foo", "", "service")
    assert split_name("foo.service") == ("foo", None, "service")
    assert split_name("a@b@c.service") == ("a", "b@c", "service")
    assert is_template("foo@.service")
    assert not is_template("foo@1.service") and not is_template("foo.service")
