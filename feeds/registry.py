"""Feed adapters by name (the `adapter:` value of a feed in a wall config).

Adapters land with the feeds issue; until then no adapter exists and any declared feed is
reported as an error by `wallctl check` rather than silently never polled.
"""

from __future__ import annotations

ADAPTERS: dict[str, str] = {}


def adapter_names() -> list[str]:
    return sorted(ADAPTERS)
