"""Building blocks shared by every config model: strictness, colours, secrets from the environment."""

from __future__ import annotations

import os
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ..colors import rgba as rgba  # re-exported: the render engine and tests read it from here

_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class StrictModel(BaseModel):
    """Unknown keys are errors (a typo must never be silently ignored); values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


def _check_color(value: str) -> str:
    if not _COLOR.match(value):
        raise ValueError(f"'{value}' is not a colour; write it as '#rrggbb' or '#rrggbbaa'")
    return value.lower()


Color = Annotated[
    str,
    AfterValidator(_check_color),
    Field(json_schema_extra={"pattern": _COLOR.pattern, "examples": ["#ff7900"]}),
]


def _check_env_ref(value: str) -> str:
    if not _ENV_REF.match(value):
        raise ValueError(
            "secrets are never written in the config; write '${ENV_VAR}' and set that "
            "environment variable where the wall runs"
        )
    return value


EnvRef = Annotated[
    str,
    AfterValidator(_check_env_ref),
    Field(
        description="A secret, given as a reference to an environment variable: '${NAME}'.",
        json_schema_extra={"pattern": _ENV_REF.pattern, "examples": ["${BRANDWATCH_TOKEN}"]},
    ),
]


def env_var_name(ref: str) -> str:
    m = _ENV_REF.match(ref)
    assert m, ref
    return m.group(1)


def resolve_env_ref(ref: str, environ: dict[str, str] | None = None) -> str | None:
    """The secret's value, or None when the variable is not set (callers decide how to degrade)."""
    env = os.environ if environ is None else environ
    return env.get(env_var_name(ref))
