"""Title sizes by rank: one heading size and one caption size for every zone of a wall.

Sizes are multiples of the room's smallest legible size (BuildContext.min_text_px, from the viewing
distance and the panels' pixel pitch: wall/geometry.py). A title is then one size in every zone of
a wall, and one size in mm on the panels: a wall of 4K panels draws it with twice the pixels of a
1080p one, a kiosk read from 2.5 m with its own distance's. Without a stated viewing distance there
is no floor, and titles are fitted to their zone as before.
"""

from __future__ import annotations

import math

HEADER_EM = 1.6  # a card's heading (top posts, topics, map, influencers); an empty zone's title
LABEL_EM = 1.15  # a chart's caption (kpi, gauge, sentiment, timeline)
LINE = 1.5  # a line's height in font sizes (with room for CJK and emoji fallbacks)


def title_size(floor: float, em: float) -> float:
    """A title's font size (whole px) at rank `em` in a room whose legible floor is `floor`; 0 when
    the room states none (the title is then fitted to its zone)."""
    return float(math.ceil(floor * em)) if floor > 0 else 0.0
