"""wall.numbers: one rounding rule (half-up on the written decimal), one set of suffixes, one dash."""

from __future__ import annotations

import pytest

from wall.numbers import DASH, as_count, duration_text, finite, fixed, human_number, whole

NOT_A_FIGURE = [None, float("nan"), float("inf"), float("-inf"), True, "12", object()]


# ------------------------------------------------------------------------------- rounding


@pytest.mark.parametrize(
    "value, text",
    [
        (2.5, 3),
        (3.5, 4),
        (-2.5, -3),
        (0.5, 1),
        (1234.5, 1235),
        (2.4999, 2),
        (7, 7),
    ],
)
def test_whole_rounds_half_up_where_round_goes_to_even(value, text):
    assert whole(value) == text


def test_the_written_decimal_is_rounded_not_its_binary_neighbour():
    # 2.675 is stored as 2.67499999...: format() gives '2.67', a person writes 2.68
    assert f"{2.675:.2f}" == "2.67" and fixed(2.675, 2) == "2.68"
    assert fixed(1.25, 1) == "1.3" and fixed(1.35, 1) == "1.4" and fixed(0.05, 1) == "0.1"


@pytest.mark.parametrize(
    "value, decimals, text",
    [
        (2.0, 1, "2"),
        (1.50, 2, "1.5"),
        (9.96, 1, "10"),
        (0.04, 1, "0"),
        (-0.04, 1, "0"),
        (-1.25, 1, "-1.3"),
        (1e20, 0, "100000000000000000000"),
    ],
)
def test_fixed_drops_trailing_zeros_and_never_shows_minus_zero(value, decimals, text):
    assert fixed(value, decimals) == text


# ------------------------------------------------------------------------------- a figure on its own


@pytest.mark.parametrize(
    "value, text",
    [
        (0, "0"),
        (0.0, "0"),
        (-0.0, "0"),
        (0.00001, "0"),
        (0.0001, "0.0001"),
        (0.0123, "0.0123"),
        (3.405, "3.41"),
        (3.415, "3.42"),
        (9.995, "10"),
        (99.95, "100"),
        (99.94, "99.9"),
        (999.4, "999"),
        (999.5, "1,000"),
        (999.95, "1,000"),
        (1_000, "1,000"),
        (7_331, "7,331"),
        (9_999.4, "9,999"),
        (9_999.5, "10 k"),
        (10_000, "10 k"),
        (12_345, "12.3 k"),
        (12_350, "12.4 k"),
        (999_499, "999 k"),
        (999_500, "1 M"),
        (999_970, "1 M"),
        (1_284_500, "1.28 M"),
        (1_285_000, "1.29 M"),
        (2.5e9, "2.5 B"),
        (999.95e9, "1 T"),
        (1e13, "10 T"),
        (2.5e15, "2500 T"),
        (-1_500, "-1,500"),
        (-2_500_000, "-2.5 M"),
        (-0.00001, "0"),
        (-999_970, "-1 M"),
    ],
)
def test_human_number_three_significant_digits(value, text):
    assert human_number(value) == text


@pytest.mark.parametrize("value", NOT_A_FIGURE)
def test_human_number_shows_the_dash_for_what_is_not_a_figure(value):
    assert human_number(value) == DASH == "\u2013"


# ------------------------------------------------------------------------------- one precision for every place


@pytest.mark.parametrize(
    "value, text",
    [
        # what a leaderboard, a card's counters, a topic list or a map legend showed with their own
        # one-decimal formatter, and what they show now: the same text as a KPI showing that figure
        (1_284_500, "1.28 M"),
        (1_250, "1,250"),
        (2_340, "2,340"),
        (3_100, "3,100"),
        (1_000, "1,000"),
        (999_600, "1 M"),
        (48_200, "48.2 k"),
        (2.5e9, "2.5 B"),
        (6.4, "6.4"),
        (940, "940"),
    ],
)
def test_counts_in_lists_read_like_the_same_figure_anywhere_else(value, text):
    assert human_number(value) == text


def test_billions_are_b_everywhere():
    assert human_number(1.3e9) == "1.3 B"


# ------------------------------------------------------------------------------- cleaning


@pytest.mark.parametrize("value, clean", [(3, 3.0), (2.5, 2.5), (-1, -1.0)] + [(v, None) for v in NOT_A_FIGURE])
def test_finite(value, clean):
    assert finite(value) == clean


@pytest.mark.parametrize("value, count", [(3, 3.0), (-1, 0.0), (None, 0.0), (float("nan"), 0.0), (True, 0.0)])
def test_as_count(value, count):
    assert as_count(value) == count


@pytest.mark.parametrize(
    "minutes, text",
    [(5, "5 min"), (90, "90 min"), (60, "1 h"), (1440, "24 h"), (2880, "2 d"), (10_080, "7 d"), (4320 + 60, "73 h")],
)
def test_duration_text(minutes, text):
    assert duration_text(minutes) == text
