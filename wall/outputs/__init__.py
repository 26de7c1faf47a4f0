"""Output backends: where composited display framebuffers go (headless now; windows, kiosk later)."""
