"""Errors every layer may raise and the CLI turns into one line and an exit code."""

from __future__ import annotations


class UsageError(Exception):
    """The user asked for something that cannot be done as asked (exit 2): the message says what to do."""
