"""Moderation: what never reaches a screen, and who decided it.

moderator.py holds the `Moderator` (filtering every zone's data, operators' actions); rules.py the
decisions and the immutable rules built from them; text.py normalising text and matching terms;
journal.py the decisions file and the audit log on disk.
"""

from .journal import audit_path_for, state_path_for
from .moderator import Moderator
from .rules import MODES
from .text import normalize

__all__ = ["Moderator", "MODES", "normalize", "audit_path_for", "state_path_for"]
