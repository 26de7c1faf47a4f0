"""Painters: one module per widget, holding its views (frozen dataclasses, what to draw) and `paint`
(view -> pixels). They import no pydantic, no config and no store: this is all the paint worker loads."""
