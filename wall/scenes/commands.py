"""What operators and demo guides may ask the director, as typed commands, and its answers.

Other threads (the control API) never change what the wall shows themselves: they queue one of
these with `Director.submit(command, who)` and get a Future. The render thread runs them at the
start of its next frame. An answer is a JSON-ready dict, or a `Switching` for a command that
changes the scenario: it answers at once, and its `shown` future resolves on the first frame that
shows the new scenario whole (what `POST /api/scenario {"wait": true}` waits for).
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class ShowScenario:
    """Show this scenario (until the schedule's next change, or a resume)."""

    name: str


@dataclass(frozen=True)
class StepScenario:
    """The next (+1) or previous (-1) scenario, in the config's order."""

    step: Literal[1, -1]


@dataclass(frozen=True)
class Resume:
    """Back to the schedule: the operator's choice ends."""


@dataclass(frozen=True)
class Spotlight:
    """One zone fills the wall (None: back to the whole wall)."""

    zone: str | None


@dataclass(frozen=True)
class Freeze:
    """Content stops (data and its "now"); clocks, tickers and transitions go on."""

    on: bool


@dataclass(frozen=True)
class Lock:
    """A presentation lock: no scheduled or alert switch until it ends or times out."""

    on: bool
    minutes: float | None = None


@dataclass(frozen=True)
class Acknowledge:
    """An operator saw the alert: its rule stops interrupting the wall until its condition ends."""

    rule: str


@dataclass(frozen=True)
class Settle:
    """Changes nothing: answered once the director has decided the wall again, so a change made
    outside it (the kill switch, which the moderator holds) is in the status read after the answer."""


Command = ShowScenario | StepScenario | Resume | Spotlight | Freeze | Lock | Acknowledge | Settle


@dataclass(frozen=True)
class Switching:
    """The answer to a command that switches the wall."""

    scenario: str
    shown: Future = field(compare=False)  # -> the switch's figures, on the first frame that shows it

    def as_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "switched": True}


Answer = dict[str, Any] | Switching
