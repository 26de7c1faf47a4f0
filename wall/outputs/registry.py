"""Output backends by name (`wallctl run --backend NAME`)."""

from __future__ import annotations

from .base import OutputBackend

BACKENDS = ("headless",)


def make_backend(name: str) -> OutputBackend:
    if name == "headless":
        from .headless import HeadlessBackend

        return HeadlessBackend()
    raise ValueError(f"unknown backend '{name}'; available: {', '.join(BACKENDS)}")
