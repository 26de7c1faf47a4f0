"""Feed adapters by name (the `adapter:` value of a feed in a wall config).

Each name but `demo` is a module `feeds/<name>.py` following feeds/adapter.py. `demo` is computed
by the store from the frame's time (deterministic renders), so it has no module and is never polled.
"""

from __future__ import annotations

ADAPTERS: dict[str, str] = {
    "demo": "deterministic synthetic posts, care metrics, volumes and countries (no network)",
}

COMPUTED = frozenset({"demo"})


def adapter_names() -> list[str]:
    return sorted(ADAPTERS)


def is_polled(name: str) -> bool:
    return name in ADAPTERS and name not in COMPUTED
