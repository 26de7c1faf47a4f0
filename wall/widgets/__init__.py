"""Widgets: one module each, holding its options model and a pure view-model builder; its views and
painter are in the wall/painters module of the same name."""
