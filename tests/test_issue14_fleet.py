"""What issue 14's diagnostics say of fleet v1.0.0, checked against the real fleetctl (on
the throw-away etcd of test_issue14_validation)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import write_specs
from test_issue14_validation import fleet_registry, fleetctl_submit

from unitgen.compile.compiler import compile_specs

__all__ = ["fleet_registry"]  # a fixture: pytest finds it in this module's namespace

IMAGE = '[container]\nimage = "example/app"\ntag = "v1"\n'


@pytest.mark.parametrize("machine_id", ["01234567", "0123456789abcdef0123456789abcdef"])
def test_a_machine_id_or_its_first_8_digits_compiles_and_fleet_takes_it(
    tmp_path: Path, fleet_registry: list[str], machine_id: str
) -> None:
    specs = write_specs(tmp_path, {"app.toml": IMAGE + f'[fleet]\nmachine_id = "{machine_id}"\n'})
    result = compile_specs(specs)
    assert result.ok, [d.format() for d in result.diagnostics]
    assert f"MachineID={machine_id}" in result.files["app.service"]
    submitted = fleetctl_submit(fleet_registry, tmp_path, "app.service", result.files["app.service"])
    assert submitted.returncode == 0, submitted.stderr


def test_a_machine_of_its_own_conflicts_exclude_is_refused_by_fleet(tmp_path: Path, fleet_registry: list[str]) -> None:
    """S332, the one code a compile reports for it, is an error because fleet refuses the unit."""
    specs = write_specs(
        tmp_path, {"app.toml": IMAGE + '[fleet]\nmachine_of = ["db"]\nconflicts = ["db*"]\n', "db.toml": IMAGE}
    )
    assert [d.code for d in compile_specs(specs).diagnostics.sorted()] == ["S332"]
    unit = "[Service]\nExecStart=/bin/true\n[X-Fleet]\nMachineOf=db.service\nConflicts=db*\n"
    refused = fleetctl_submit(fleet_registry, tmp_path, "peer.service", unit)
    assert refused.returncode != 0
    assert 'unresolvable requirements: peer "db.service" matches conflict "db*"' in refused.stderr
