"""Building blocks shared by every config model: strictness, colours, secrets from the environment."""

from __future__ import annotations

import os
import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import InitErrorDetails

from ..colors import rgba as rgba  # re-exported: the render engine and tests read it from here

_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_ENV_REF = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class StrictModel(BaseModel):
    """Unknown keys are errors (a typo must never be silently ignored); values are immutable; every
    number is finite (no inf or nan, not even written as a string); and a value that makes a check
    fail in an unforeseen way (an OSError, a TypeError...) is an error of that value, at its
    position, never a crash of the loader."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False, allow_inf_nan=False)

    @model_validator(mode="wrap")
    @classmethod
    def _unforeseen_is_invalid(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(data)
        except (ValueError, AssertionError):  # pydantic's own (ValidationError is a ValueError)
            raise
        except Exception as exc:
            raise _unforeseen(cls, data, exc) from None


def _shown(value: Any) -> str:
    text = repr(value)
    if len(text) <= 40:
        return text
    size = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return f"{text[:39]}…{size}"


def _reason(value: Any, exc: Exception) -> str:
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
    if len(why) > 120:
        why = why[:119] + "…"
    return f"{_shown(value)} cannot be used here ({why}); is it the kind of value this setting takes?"


def _unforeseen(model: type[BaseModel], data: Any, exc: Exception) -> ValueError:
    """The error to report for an exception a check of `model` did not foresee: at the field whose
    value raises it when checked alone, else at the model."""
    if isinstance(data, dict):
        for name, info in model.model_fields.items():
            key = info.alias or name
            if key not in data:
                continue
            kind: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
            try:
                alone: TypeAdapter[Any] = TypeAdapter(kind)
            except Exception:  # a type pydantic takes only inside its model: no culprit to find here
                continue
            try:
                alone.validate_python(data[key])
            except (ValueError, AssertionError):
                continue
            except Exception as inner:
                error = ValueError(_reason(data[key], inner))
                details = InitErrorDetails(type="value_error", loc=(key,), input=data[key], ctx={"error": error})
                return ValidationError.from_exception_data(model.__name__, [details])
    return ValueError(_reason(data, exc))


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
