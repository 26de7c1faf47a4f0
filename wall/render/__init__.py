"""Rendering: painting off the render thread, GL compositing, the frame loop, snapshots."""
