"""Running the submission and telling what fleet did with each unit.

fleetctl v1.0.0 exits 0 whether it stored a unit, found it unchanged or refused to replace
it, so each unit's outcome is read from fleet itself: its registry before the run (is the
unit there, with which text), the messages of the call (``Found same Unit``, ``can not
replace Unit(…) in state '…'``), and its registry after the run (does it now hold the
generated text, and in which state).  The generated text is compared in fleet's form
(``fleetctl.fleet_hash``).

The outcomes are recorded as the calls run, so that a signal or the deadline, which
interrupt the run, leave a truthful account of what was done so far.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping, Sequence

import attrs

from unitgen.fleet.fleetctl import Fleetctl, FleetUnit, Ran, TimedOut, fleet_hash, refused_in, unchanged_in
from unitgen.fleet.submit import Call, Node

CREATED = "created"
REPLACED = "replaced"
UNCHANGED = "unchanged"
REFUSED = "refused"  # fleet kept its own, different text: the unit is loaded or launched
NOT_SUBMITTED = "not submitted"  # the call failed, or fleet does not hold the generated text
INTERRUPTED = "interrupted"  # its call was running when the signal or deadline came
NOT_RUN = "not run"
ACTIONS = (CREATED, REPLACED, UNCHANGED, REFUSED, NOT_SUBMITTED, INTERRUPTED, NOT_RUN)


@attrs.frozen
class UnitOutcome:
    name: str
    template: bool
    action: str
    detail: str = ""  # refused: fleet's state; not submitted: fleetctl's error


def expected_texts(order: Sequence[Node]) -> dict[str, str]:
    """What fleet should hold for each unit: an instance holds its template's text."""
    return {node.name: node.unit.text for node in order}


@attrs.define
class Progress:
    """What the run has done so far, for the summary whenever the run ends."""

    order: Sequence[Node]
    expected: Mapping[str, str | None]  # fleet's hash of each unit's generated text
    before: Mapping[str, FleetUnit] = attrs.field(factory=dict)
    outcomes: dict[str, UnitOutcome] = attrs.field(factory=dict)
    after: Mapping[str, FleetUnit] | None = None  # fleet's units once the run ended, when read
    failed: Ran | None = None
    stopped: str = ""  # why the run stopped early: "timeout", or the signal's name (set by the caller)
    pruned: list[tuple[str, bool]] = attrs.field(factory=list)  # (unit, destroyed) by --prune

    @classmethod
    def of(cls, order: Sequence[Node]) -> Progress:
        return cls(order, {name: fleet_hash(text) for name, text in expected_texts(order).items()})

    def record(self, node: Node, ran: Ran | None) -> None:
        """The outcome of ``node``'s call as it ran (``None``: interrupted); ``settle`` checks it against fleet."""
        before = self.before.get(node.name)
        error = ""  # fleetctl's last word when the call failed (a start that timed out, say)
        if ran is not None and ran.status != 0:
            error = (ran.stderr.strip().splitlines() or [f"exit status {ran.status}"])[-1]
        if ran is None:
            action = INTERRUPTED
        elif node.name in refused_in(ran.lines):
            action, error = REFUSED, refused_in(ran.lines)[node.name]
        elif node.name in unchanged_in(ran.lines) or (before is not None and before.hash == self.expected[node.name]):
            action = UNCHANGED
        elif ran.status != 0:
            action = NOT_SUBMITTED
        else:
            action = CREATED if before is None else REPLACED
        self.outcomes[node.name] = UnitOutcome(node.name, node.template, action, error)

    def settle(self, after: Mapping[str, FleetUnit]) -> None:
        """Check each recorded outcome against fleet's registry after the run: a unit counts
        as created or replaced only when fleet now holds its generated text."""
        self.after = after
        for name, outcome in list(self.outcomes.items()):
            if outcome.action in (REFUSED, UNCHANGED):
                continue
            held = after.get(name)
            if held is not None and held.hash == self.expected[name]:
                action = CREATED if name not in self.before else REPLACED
                self.outcomes[name] = attrs.evolve(outcome, action=action)  # a failed start keeps its error
            else:
                detail = outcome.detail or ("fleet holds other text" if held else "fleet does not have it")
                self.outcomes[name] = attrs.evolve(outcome, action=NOT_SUBMITTED, detail=detail)

    def all_outcomes(self) -> list[UnitOutcome]:
        return [self.outcomes.get(node.name) or UnitOutcome(node.name, node.template, NOT_RUN) for node in self.order]

    @property
    def refused(self) -> list[UnitOutcome]:
        return [o for o in self.outcomes.values() if o.action == REFUSED]

    @property
    def complete(self) -> bool:
        """Every call ran and none failed (refusals aside: fleet answered those)."""
        return not self.stopped and self.failed is None and len(self.outcomes) == len(self.order)


def run(
    calls: Sequence[Call],
    progress: Progress,
    fleetctl: Fleetctl,
    echo: Callable[[str], None],
) -> Progress:
    """Run the calls in order, recording each unit's outcome; stop at the first call that fails.

    ``TimedOut`` (the deadline) is recorded as ``stopped``; a signal propagates to the
    caller with the progress recorded up to the call it interrupted."""
    nodes = {node.name: node for node in progress.order}
    for call in calls:
        node = nodes[call.units[0]]
        echo(f"+ {call.shell()}")
        try:
            ran = fleetctl.run_argv(call.argv)
        except TimedOut:
            progress.record(node, None)
            progress.stopped = "timeout"
            return progress
        except BaseException:
            progress.record(node, None)
            raise
        for line in ran.lines:
            echo(line)
        progress.record(node, ran)
        if ran.status != 0:
            progress.failed = ran
            return progress
    return progress


def state_text(outcome: UnitOutcome, held: FleetUnit | None) -> str:
    """fleet's state of a unit in words; "running" only when fleet reports it launched on a machine."""
    if outcome.template:
        return "a template: fleet runs only its instances"
    if held is None:
        return "not in fleet"
    if held.is_global:
        wanted = (
            ": fleet is to run it on every matching machine (fleetctl list-units)" if held.desired == "launched" else ""
        )
        return f"global, desired state {held.desired}{wanted}"
    if held.running:
        return f"running on machine {held.target}"
    where = "no machine" if held.target in ("-", "") else f"machine {held.target}"
    return f"not running (desired state {held.desired}, state {held.current}, {where})"


def summary_lines(progress: Progress, where: str = "") -> list[str]:
    """One line per unit and per pruned unit, then the counts; ``where`` names the environment."""
    lines = []
    for outcome in progress.all_outcomes():
        text = f"{outcome.name}: {outcome.action}"
        if outcome.action == REFUSED:
            text += f" (fleet holds it in state '{outcome.detail}' and keeps its old text)"
        elif outcome.detail:
            text += f" ({outcome.detail})"
        if progress.after is not None and outcome.action not in (NOT_RUN, NOT_SUBMITTED):
            text += "; " + state_text(outcome, progress.after.get(outcome.name))
        lines.append(text)
    for name, destroyed in progress.pruned:
        lines.append(f"{name}: {'destroyed (pruned)' if destroyed else 'not destroyed: fleetctl destroy failed'}")
    outcomes = progress.all_outcomes()
    found = [f"{sum(o.action == action for o in outcomes)} {action}" for action in ACTIONS]
    counted = ", ".join(text for text in found if not text.startswith("0 "))
    pruned = f", {sum(ok for _, ok in progress.pruned)} pruned" if progress.pruned else ""
    lines.append(f"{len(progress.order)} unit(s){where}: {counted}{pruned}")
    return lines


def problems(progress: Progress, way_out: str, timeout: float) -> list[str]:
    """What makes the run fail, each with what to do; ``way_out`` is the submit command with --start."""
    found = []
    if progress.refused:
        names = " ".join(o.name for o in progress.refused)
        found.append(
            f"fleet kept the old text of {len(progress.refused)} loaded or launched unit(s): {names}. "
            f"Run {way_out} to replace them (fleetctl start --replace restarts each with its new text), "
            "or stop them first (fleetctl stop UNIT)"
        )
    lost = [o.name for o in progress.all_outcomes() if o.action == NOT_SUBMITTED]
    if progress.failed is not None:
        found.append(f"fleetctl failed (exit status {progress.failed.status}): {shlex.join(progress.failed.argv)}")
    elif lost:
        found.append(f"fleet does not hold the generated text of {' '.join(lost)} although fleetctl succeeded")
    if progress.stopped == "timeout":
        found.append(f"stopped after --timeout {timeout:g} s; the units above are as fleet had them then")
    if any(not destroyed for _, destroyed in progress.pruned):
        found.append("fleetctl destroy failed for a unit to prune (its output is above)")
    return found
