"""Weekday and month names: the words a config is written in and the words a wall shows.

One vocabulary for the schedule's parser (`mon-fri`, `sunday`), the clock, the timeline's axis and the
alert banner's "since Mon 23 Nov", so they never disagree. English only: the wall's own words are
English; what people wrote (posts, titles) is shown in its own language.
"""

from __future__ import annotations

# config tokens, Monday first (datetime.weekday() order)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# shown on the wall
DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
