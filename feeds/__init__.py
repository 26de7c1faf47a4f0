"""Feeds: normalised models and the adapters that fill them. Never imports `wall`."""
