"""Feed adapters by name (the `adapter:` value of a feed in a wall config)."""

from __future__ import annotations

# name -> one line on what it reads. Network adapters land with the feeds issue.
ADAPTERS: dict[str, str] = {
    "demo": "deterministic synthetic posts, care metrics, volumes and countries (no network)",
}


def adapter_names() -> list[str]:
    return sorted(ADAPTERS)
