"""Config problems, each tied to a place in a file, printed as `file:line:column: message`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .yaml_source import Mark


@dataclass(frozen=True)
class Problem:
    mark: "Mark"
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.mark}: {prefix}{self.message}"


class ConfigError(Exception):
    """One or more errors that make a config unusable; str() is one line per problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
