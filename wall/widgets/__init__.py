"""Widgets: one module each, holding its options model, a pure view-model builder and a painter."""
