"""Movement in views: a transition's progress as a function of time, in a few quantised steps (a zone
is repainted once per step, not every frame), and the easing its painter applies."""

from __future__ import annotations


def step_progress(elapsed_s: float, duration_s: float, steps: int) -> float:
    """Progress (0..1) `elapsed_s` into a `duration_s` transition, at the middle of one of `steps`
    steps, so every machine shows the same step at the same time."""
    return (min(steps - 1, int(elapsed_s / duration_s * steps)) + 0.5) / steps


def ease_out(p: float) -> float:
    """Cubic ease-out: fast at first, settling gently."""
    return 1 - (1 - p) ** 3
