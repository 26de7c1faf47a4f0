"""`alert`: the crisis banner: severity looks, 'since' time, quantised pulse, bounded text."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from pydantic import ValidationError
from widget_kit import T0, THEME, assert_golden, build, make_ctx, options, paint, render, snapshot_with

from wall.config.base import rgba
from wall.paint.text import record_text_sizes
from wall.widgets import alert

OUTAGE = dict(
    title="Network outage in Île-de-France",
    message="Fibre and mobile data down since this morning. Technicians are on site; "
    "answer with the approved statement.",
    since="2026-11-23T09:10:00+01:00",
    tz="Europe/Paris",
)


def colour_pixels(px: np.ndarray, hex_color: str) -> int:
    return int((px[:, :, :3] == np.array(rgba(hex_color)[:3], np.uint8)).all(axis=2).sum())


def test_critical_golden():
    t = datetime(2026, 11, 23, 8, 30, 1, tzinfo=UTC)  # the pulse at its brightest
    view, px = render("alert", 1280, 220, t=t, **OUTAGE)
    assert view.pulse_level == 4
    assert_golden("alert_critical", px)


# ------------------------------------------------------------------------------- the view


def test_view_carries_title_message_severity_and_since():
    view = build("alert", make_ctx(1280, 220), **OUTAGE)
    assert view.title == OUTAGE["title"] and view.message.startswith("Fibre and mobile")
    assert view.severity == "critical" and view.label == "CRITICAL"
    assert view.since_text == "since 09:10 · 20 min"  # T0 is 09:30 in Paris
    assert view.tone == THEME.breach and view.pulsing and view.status.ok


@pytest.mark.parametrize(
    "severity,colour,pulses", [("info", "accent", False), ("warning", "warn", False), ("critical", "breach", True)]
)
def test_severity_sets_colour_label_and_default_pulse(severity, colour, pulses):
    view, px = render("alert", 1280, 220, title="Heads up", severity=severity)
    assert view.tone == getattr(THEME, colour) and view.label == severity.upper() and view.pulsing is pulses
    assert colour_pixels(px, view.tone) > 2000  # the icon and the label pill, at least
    assert view.tint not in (THEME.surface, view.tone)  # tinted, not garish


def test_since_text_variants():
    now = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    paris = "Europe/Paris"
    assert alert.since_text(None, now, paris) == ""
    assert alert.since_text(datetime(2026, 11, 23, 9, 29, 40), now, paris) == "since 09:29 · just now"  # naive: Paris
    assert alert.since_text(datetime(2026, 11, 23, 6, 0, tzinfo=UTC), now, paris) == "since 07:00 · 2 h 30"
    assert alert.since_text(datetime(2026, 11, 23, 7, 30, tzinfo=UTC), now, "UTC") == "since 07:30 · 1 h"
    assert alert.since_text(datetime(2026, 11, 21, 7, 30, tzinfo=UTC), now, "UTC") == "since Sat 21 Nov 07:30 · 2 days"
    assert alert.since_text(datetime(2026, 11, 23, 9, 0, tzinfo=UTC), now, "UTC") == "from 09:00"  # planned


def test_since_changes_the_view_once_a_minute_only():
    a = build("alert", make_ctx(1280, 220, t=T0 + timedelta(seconds=5)), pulse=False, **OUTAGE)
    b = build("alert", make_ctx(1280, 220, t=T0 + timedelta(seconds=55)), pulse=False, **OUTAGE)
    c = build("alert", make_ctx(1280, 220, t=T0 + timedelta(seconds=65)), pulse=False, **OUTAGE)
    assert a == b != c and c.since_text == "since 09:10 · 21 min"


def test_pulse_is_quantised_to_four_steps_a_second():
    base = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    levels = [alert.pulse_level(base + timedelta(milliseconds=125 + 250 * i)) for i in range(16)]
    assert levels == [0, 1, 2, 3, 4, 3, 2, 1] * 2  # a 2 s triangle in quarter steps
    views = {
        build("alert", make_ctx(1280, 220, t=base + timedelta(milliseconds=ms)), **OUTAGE) for ms in range(0, 2000, 10)
    }
    assert len(views) == 5  # 200 frames, 5 distinct pictures: repainted at most 4 times a second
    one_step = {
        build("alert", make_ctx(1280, 220, t=base + timedelta(milliseconds=ms)), **OUTAGE) for ms in range(250, 500, 10)
    }
    assert len(one_step) == 1


def test_pulse_false_is_static_and_brightness_follows_the_level():
    views = {
        build("alert", make_ctx(1280, 220, t=T0 + timedelta(milliseconds=ms)), pulse=False, **OUTAGE)
        for ms in range(0, 2000, 50)
    }
    assert len(views) == 1 and next(iter(views)).pulse_level == 4
    dim, bright = (render("alert", 1280, 220, t=T0 + timedelta(milliseconds=ms), **OUTAGE)[1] for ms in (0, 1000))
    bar = (slice(40, 180), slice(8, 14))  # inside the severity bar on the left
    assert bright[bar][..., 0].mean() > dim[bar][..., 0].mean() + 40


def test_info_pulses_only_when_asked():
    assert not build("alert", make_ctx(800, 200), title="FYI", severity="info").pulsing
    assert build("alert", make_ctx(800, 200), title="FYI", severity="info", pulse=True).pulsing


def test_options_are_validated():
    for bad in (
        {"severity": "panic"},
        {"tz": "Mars/Olympus"},
        {"since": "yesterday"},
        {"title": ""},
        {"message": "x" * 2001},
        {"colour": "#fff"},
    ):
        with pytest.raises(ValidationError):
            options("alert", **({"title": "t"} | bad))
    with pytest.raises(ValidationError):
        options("alert")  # a banner without a title is a config error


# ------------------------------------------------------------------------------- bounded text and states


def test_long_text_is_fitted_not_overflowing():
    view, px = render(
        "alert",
        1280,
        220,
        title="Panne " * 50,
        message="Détails " * 250,
        **{k: v for k, v in OUTAGE.items() if k in ("since", "tz")},
    )
    assert px.shape == (220, 1280, 4)
    # nothing is painted in the frame around the card (text never leaves its box)
    frame = np.array(rgba(THEME.background)[:3], np.uint8)
    assert (px[:4, :, :3] == frame).all() and (px[-4:, :, :3] == frame).all() and (px[:, -4:, :3] == frame).all()


def test_markup_and_control_characters_are_plain_text():
    view = build("alert", make_ctx(1280, 220), title="<b>Outage</b>\u202e!", message="line one\x00\nline two")
    assert view.title == "<b>Outage</b>!" and view.message == "line one\nline two"


def test_no_feed_is_normal_and_a_stale_feed_gets_a_badge():
    view = build("alert", make_ctx(1280, 220, data=None), title="Outage")
    assert view.status.ok
    stale = snapshot_with(state="stale", as_of=T0 - timedelta(minutes=20))
    view, px = render("alert", 1280, 220, data=stale, title="Outage", pulse=False)
    _, clean = render("alert", 1280, 220, title="Outage", pulse=False)
    assert view.status.state == "stale"
    assert np.abs(px[:50, 900:].astype(int) - clean[:50, 900:]).max() > 100


@pytest.mark.parametrize("size", [(60, 30), (1920, 120), (300, 300)])
def test_any_zone_size_paints(size):
    w, h = size
    _, px = render("alert", w, h, **OUTAGE)
    assert px.shape == (h, w, 4)


# ------------------------------------------------------------------------------- the room's legible size


def far(w: int, h: int):
    """A zone read from 4 m on 0.63 mm pixels: BuildContext.min_text_px 41.3 (42 in whole px)."""
    return dataclasses.replace(make_ctx(w, h), min_text_px=41.3)


@pytest.mark.parametrize("w, h", [(5766, 406), (1920, 300), (1280, 220), (960, 540), (1920, 120), (300, 300)])
def test_no_text_below_the_rooms_floor(w, h):
    view = build("alert", far(w, h), **OUTAGE)
    assert view.text_floor == 42  # whole pixels, rounded up
    with record_text_sizes() as sizes:
        paint("alert", view, w, h)
    assert sizes and min(size for size, _ in sizes) >= 42, sorted(sizes)[:3]
    if w >= 960:
        assert OUTAGE["title"] in {text for _, text in sizes}  # whole, on one or two lines


def test_at_the_floor_a_tight_banner_shows_less_instead_of_smaller_text():
    view = build("alert", far(1280, 220), **OUTAGE)
    with record_text_sizes() as sizes:
        paint("alert", view, 1280, 220)
    painted = {text: size for size, text in sizes}
    assert {"CRITICAL", "since 09:10 · 20 min", OUTAGE["title"]} <= set(painted)
    assert not any(text.startswith("Fibre") for text in painted)  # no line left for the message at 42 px
    # a narrow banner keeps 'since 09:10' whole and drops the elapsed time
    view = build("alert", far(960, 540), **OUTAGE)
    with record_text_sizes() as sizes:
        px = paint("alert", view, 960, 540)
    assert any(text == "since 09:10" for _, text in sizes)
    frame = np.array(rgba(THEME.background)[:3], np.uint8)
    assert (px[:4, :, :3] == frame).all() and (px[-4:, :, :3] == frame).all()  # nothing leaves the card
