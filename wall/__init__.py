"""wall: a video-wall renderer for social rooms. See docs/architecture.md for the pipeline."""
