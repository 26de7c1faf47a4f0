"""A room over several machines: a hub that polls and decides, nodes that render its displays (Redis)."""
