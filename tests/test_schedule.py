"""The schedule: what the wall shows at a given instant, from opening hours, day-parts, weekly and
dated calendar entries, and at night how dark it is and how far the picture has walked.

Every time is injected (nothing sleeps, nothing reads the clock). What an operator would notice: the
SNCF room lights up at 07:00 local time in winter and in summer, a Friday evening that runs past
midnight stays open, a launch on Tuesday at 10:00 wins over the morning day-part, Christmas is
closed, the console says why and until when, and a config mistake names its file:line:col.
"""

from __future__ import annotations

import itertools
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from wall.config.errors import ConfigError
from wall.config.loader import load_config
from wall.scenes.schedule import Schedule, pixel_shift

PARIS = ZoneInfo("Europe/Paris")

WALL = """\
name: Schedule test
displays:
  grid:
    cols: 1
    rows: 1
    panel: { resolution: [1920, 1080], active_mm: [1209.6, 680.4] }
layout:
  zones:
    main: { fraction: { w: 1, h: 1 } }
scenarios:
  monitoring: { zones: { main: { widget: text, text: "Monitoring" } } }
  crisis:     { zones: { main: { widget: text, text: "Crisis" } } }
  launch:     { zones: { main: { widget: text, text: "Launch" } } }
  lunch:      { zones: { main: { widget: text, text: "Lunch" } } }
  screensaver: { zones: { main: { widget: text, text: "Logo" } } }
"""

SNCF = """\
schedule:
  timezone: Europe/Paris
  hours: { mon-fri: "07:00-22:00", sat: "09:00-18:00", sun: closed }
  default: monitoring
  dayparts:
    - { at: "07:00-12:00", scenario: monitoring }
    - { at: "12:00-14:00", scenario: lunch, days: mon-fri }
  weekly:
    - { days: tue, at: "10:00-11:00", scenario: launch, label: "Launch review" }
  night: { mode: dim, level: 0.15, scenario: screensaver, pixel_shift_px: 4, shift_every_s: 60 }
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Work in an empty folder, so files print as `wall.yaml`."""
    monkeypatch.chdir(tmp_path)


def write(tmp_path, schedule: str, name: str = "wall.yaml"):
    (tmp_path / name).write_text(WALL + "\n" + textwrap.dedent(schedule), encoding="utf-8")
    return name


def schedule_of(tmp_path, text: str) -> Schedule:
    return Schedule.from_config(load_config(write(tmp_path, text)))


def paris(*args) -> datetime:
    """A Paris wall-clock time as an aware instant (what the director passes: any zone works)."""
    return datetime(*args, tzinfo=PARIS)


def errors_of(tmp_path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return [str(p) for p in info.value.problems]


# ------------------------------------------------------------------------------------------- opening hours


def test_the_room_opens_at_seven_and_closes_at_ten(tmp_path):
    s = schedule_of(tmp_path, SNCF)
    # Wednesday 2026-11-25
    before = s.state(paris(2026, 11, 25, 6, 59, 59))
    assert not before.open and before.source == "closed"
    assert before.reason == "closed: outside opening hours"
    assert before.until == paris(2026, 11, 25, 7, 0)
    opening = s.state(paris(2026, 11, 25, 7, 0))
    assert opening.open and opening.scenario == "monitoring" and opening.night is None
    assert opening.source == "daypart" and opening.reason == "day-part 07:00-12:00 (monitoring)"
    assert opening.until == paris(2026, 11, 25, 12, 0)
    afternoon = s.state(paris(2026, 11, 25, 15, 0))
    assert afternoon.source == "default" and afternoon.scenario == "monitoring"
    assert afternoon.reason == "open 07:00-22:00, default scenario (monitoring)"
    assert afternoon.until == paris(2026, 11, 25, 22, 0)
    assert s.state(paris(2026, 11, 25, 21, 59, 59)).open
    night = s.state(paris(2026, 11, 25, 22, 0))
    assert not night.open and night.until == paris(2026, 11, 26, 7, 0)


def test_saturday_has_its_own_hours_and_sunday_is_closed(tmp_path):
    s = schedule_of(tmp_path, SNCF)
    assert not s.state(paris(2026, 11, 28, 8, 0)).open  # Saturday opens at 9
    saturday = s.state(paris(2026, 11, 28, 9, 30))
    assert saturday.open and saturday.source == "daypart"  # the morning day-part is every day
    assert s.state(paris(2026, 11, 28, 12, 30)).scenario == "monitoring"  # lunch is mon-fri only
    evening = s.state(paris(2026, 11, 28, 18, 0))
    assert not evening.open
    assert evening.until == paris(2026, 11, 30, 7, 0)  # closed all Sunday: Monday 07:00
    assert not s.state(paris(2026, 11, 29, 12, 0)).open


def test_hours_that_cross_midnight_belong_to_the_day_they_start(tmp_path):
    s = schedule_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          hours: { mon-thu: "08:00-20:00", fri: "18:00-02:00" }
          default: monitoring
        """,
    )
    assert s.state(paris(2026, 11, 27, 12, 0)).open is False  # Friday noon: Friday opens at 18:00
    friday = s.state(paris(2026, 11, 27, 23, 0))
    assert friday.open and friday.reason == "open 18:00-02:00, default scenario (monitoring)"
    assert friday.until == paris(2026, 11, 28, 2, 0)
    assert s.state(paris(2026, 11, 28, 1, 59)).open  # Saturday 01:59: still Friday's night
    closed = s.state(paris(2026, 11, 28, 2, 0))
    assert not closed.open and closed.until == paris(2026, 11, 30, 8, 0)


def test_a_day_part_only_refines_opening_hours(tmp_path):
    s = schedule_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          hours: { daily: "09:00-17:00" }
          default: monitoring
          dayparts: [{ at: "06:00-10:00", scenario: lunch }]
        """,
    )
    assert not s.state(paris(2026, 11, 25, 8, 0)).open  # the day-part does not open the wall
    assert s.state(paris(2026, 11, 25, 9, 0)).scenario == "lunch"
    assert s.state(paris(2026, 11, 25, 10, 0)).scenario == "monitoring"


def test_without_a_schedule_the_wall_is_always_open(tmp_path):
    s = Schedule.from_config(load_config(write(tmp_path, "")))
    st = s.state(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))
    assert st.open and st.scenario == "monitoring" and st.source == "default"
    assert st.until is None and st.night is None
    assert st.reason == "no schedule: always open (monitoring)"


def test_a_schedule_without_hours_is_always_open(tmp_path):
    s = schedule_of(tmp_path, "schedule: { timezone: Europe/Paris, default: crisis }\n")
    st = s.state(paris(2026, 11, 25, 3, 0))
    assert st.open and st.scenario == "crisis" and st.reason == "open all day, default scenario (crisis)"


def test_built_from_its_own_section_the_default_is_left_to_the_caller(tmp_path):
    loaded = load_config(write(tmp_path, "schedule: { timezone: Europe/Paris, hours: { daily: '08:00-20:00' } }\n"))
    whole, alone = Schedule.from_config(loaded), Schedule.from_config(loaded.config.schedule)
    assert whole.state(paris(2026, 11, 25, 9, 0)).scenario == "monitoring"  # the wall's default
    st = alone.state(paris(2026, 11, 25, 9, 0))
    assert st.open and st.scenario is None and st.reason == "open 08:00-20:00, default scenario"
    assert alone.state(paris(2026, 11, 25, 21, 0)) == whole.state(paris(2026, 11, 25, 21, 0))


# ------------------------------------------------------------------------------------------- priorities


def test_weekly_entry_wins_over_the_day_part(tmp_path):
    s = schedule_of(tmp_path, SNCF)
    tuesday = s.state(paris(2026, 11, 24, 10, 15))
    assert tuesday.scenario == "launch" and tuesday.source == "weekly"
    assert tuesday.reason == "Launch review, weekly tue 10:00-11:00 (launch)"
    assert tuesday.until == paris(2026, 11, 24, 11, 0)
    after = s.state(paris(2026, 11, 24, 11, 0))
    assert after.source == "daypart" and after.scenario == "monitoring"
    assert s.state(paris(2026, 11, 25, 10, 15)).scenario == "monitoring"  # Wednesday: no launch


def test_calendar_beats_weekly_beats_daypart_beats_default(tmp_path):
    s = schedule_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          hours: { daily: "07:00-22:00" }
          default: monitoring
          dayparts: [{ at: "09:00-18:00", scenario: lunch }]
          weekly: [{ days: mon-fri, at: "10:00-17:00", scenario: launch }]
          calendar: [{ date: 2026-11-25, at: "11:00-12:00", scenario: crisis, label: "Crisis drill" }]
        """,
    )
    at = lambda h: s.state(paris(2026, 11, 25, h, 30))  # noqa: E731
    assert (at(8).source, at(8).scenario) == ("default", "monitoring")
    assert (at(9).source, at(9).scenario) == ("daypart", "lunch")
    assert (at(10).source, at(10).scenario) == ("weekly", "launch")
    assert (at(11).source, at(11).scenario) == ("calendar", "crisis")
    assert at(11).reason == "Crisis drill, calendar 2026-11-25 11:00-12:00 (crisis)"
    assert at(11).until == paris(2026, 11, 25, 12, 0)


def test_within_a_kind_the_higher_priority_wins_then_the_first_listed(tmp_path):
    s = schedule_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          dayparts:
            - { at: "08:00-12:00", scenario: lunch }
            - { at: "10:00-11:00", scenario: crisis, priority: 5 }
            - { at: "08:00-12:00", scenario: launch }
        """,
    )
    assert s.state(paris(2026, 11, 25, 9, 0)).scenario == "lunch"  # tie: the first listed
    assert s.state(paris(2026, 11, 25, 10, 30)).scenario == "crisis"  # priority 5
    assert s.state(paris(2026, 11, 25, 11, 30)).scenario == "lunch"


def test_a_weekly_entry_opens_the_wall_outside_opening_hours(tmp_path):
    s = schedule_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          hours: { mon-fri: "07:00-22:00" }
          default: monitoring
          weekly: [{ days: sat, at: "19:00-23:30", scenario: launch }]
        """,
    )
    saturday = s.state(paris(2026, 11, 28, 20, 0))
    assert saturday.open and saturday.scenario == "launch" and saturday.night is None
    assert saturday.until == paris(2026, 11, 28, 23, 30)
    assert not s.state(paris(2026, 11, 28, 23, 30)).open


def test_calendar_ranges_and_a_closed_holiday(tmp_path):
    s = schedule_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          hours: { daily: "07:00-22:00" }
          default: monitoring
          calendar:
            - { date: 2026-12-24..2026-12-26, closed: true, label: Christmas }
            - { date: 2026-12-26, at: "10:00-12:00", scenario: launch, priority: 1 }
            - { date: "2026-11-30..2026-12-02", at: "20:00-01:00", scenario: crisis }
        """,
    )
    xmas = s.state(paris(2026, 12, 25, 12, 0))
    assert not xmas.open and xmas.source == "calendar" and xmas.night is not None
    assert xmas.reason == "closed: Christmas, calendar 2026-12-24..2026-12-26"
    assert xmas.scenario is None  # black by default
    assert xmas.until == paris(2026, 12, 26, 10, 0)  # the launch outranks the closure
    assert s.state(paris(2026, 12, 26, 11, 0)).scenario == "launch"
    assert not s.state(paris(2026, 12, 26, 12, 0)).open
    assert s.state(paris(2026, 12, 27, 7, 0)).open
    late = s.state(paris(2026, 12, 2, 23, 30))  # 20:00-01:00 on the range's last day runs past midnight
    assert late.scenario == "crisis" and late.until == paris(2026, 12, 3, 1, 0)
    assert not s.state(paris(2026, 12, 3, 1, 0)).open


def test_until_reaches_a_calendar_entry_months_ahead(tmp_path):
    s = schedule_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          calendar: [{ date: 2027-03-01, scenario: launch }]
        """,
    )
    st = s.state(paris(2026, 11, 25, 12, 0))
    assert st.open and st.until == paris(2027, 3, 1, 0, 0)


# ------------------------------------------------------------------------------------------- DST


def test_opening_follows_the_wall_clock_across_the_spring_change(tmp_path):
    """Europe/Paris goes from 02:00 CET to 03:00 CEST on Sunday 2026-03-29."""
    s = schedule_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          hours: { mon-fri: "07:00-22:00", sat: "07:00-12:00, 20:00-04:00", sun: "07:00-22:00" }
          default: monitoring
          dayparts: [{ at: "02:30-03:30", scenario: crisis, days: sun }]
        """,
    )
    utc = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731
    # 07:00 local is 06:00 UTC on Saturday (CET) and 05:00 UTC on Sunday (CEST)
    assert s.state(utc(2026, 3, 28, 5, 59)).open is False
    assert s.state(utc(2026, 3, 28, 6, 0)).open is True
    saturday_night = s.state(utc(2026, 3, 28, 23, 0))  # Sunday 00:00 CET, in Saturday's 20:00-04:00
    assert saturday_night.open and saturday_night.scenario == "monitoring"
    # 02:30 does not exist that night: the day-part starts when the clock jumps, at 03:00 CEST
    assert saturday_night.until == utc(2026, 3, 29, 1, 0) == paris(2026, 3, 29, 3, 0)
    jumped = s.state(utc(2026, 3, 29, 1, 0))
    assert jumped.scenario == "crisis" and jumped.until == utc(2026, 3, 29, 1, 30)  # half an hour, to 03:30 CEST
    closes = s.state(utc(2026, 3, 29, 1, 45))
    assert closes.scenario == "monitoring" and closes.until == utc(2026, 3, 29, 2, 0)  # 04:00 CEST
    # the night that lost an hour: open 20:00 CET (19:00 UTC) to 04:00 CEST (02:00 UTC) is 7 hours
    assert closes.until - paris(2026, 3, 28, 20, 0).astimezone(UTC) == timedelta(hours=7)
    sunday = s.state(utc(2026, 3, 29, 2, 0))
    assert not sunday.open and sunday.until == utc(2026, 3, 29, 5, 0) == paris(2026, 3, 29, 7, 0)


def test_a_night_that_gains_an_hour_in_autumn(tmp_path):
    """Europe/Paris goes from 03:00 CEST back to 02:00 CET on Sunday 2026-10-25."""
    s = schedule_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          hours: { sat: "20:00-04:00", sun: "09:00-12:00" }
          default: monitoring
        """,
    )
    utc = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731
    opened = s.state(paris(2026, 10, 24, 20, 0))
    assert opened.until == utc(2026, 10, 25, 3, 0)  # 04:00 CET: 9 hours of real time
    assert opened.until - utc(2026, 10, 24, 18, 0) == timedelta(hours=9)
    assert s.state(utc(2026, 10, 25, 1, 30)).open  # 02:30 CET, the second time that hour
    closed = s.state(utc(2026, 10, 25, 3, 0))
    assert not closed.open and closed.until == utc(2026, 10, 25, 8, 0)  # 09:00 CET


# ------------------------------------------------------------------------------------------- asking


def test_state_is_a_pure_function_of_time(tmp_path):
    s = schedule_of(tmp_path, SNCF)
    other = schedule_of(tmp_path, SNCF)
    times = [paris(2026, 11, 24, 6, 0) + timedelta(minutes=17 * i) for i in range(200)]
    forward = [s.state(t) for t in times]
    backward = [s.state(t) for t in reversed(times)][::-1]  # the cache never leaks an answer backwards
    assert forward == backward == [other.state(t) for t in times]


def test_until_chains_through_a_week_and_each_state_holds_until_then(tmp_path):
    s = schedule_of(tmp_path, SNCF)
    t = paris(2026, 11, 23, 0, 0)  # Monday
    seen = []
    while t < paris(2026, 11, 30, 0, 0):
        st = s.state(t)
        seen.append((t.astimezone(PARIS).strftime("%a %H:%M"), st.scenario if st.open else "closed"))
        assert st.until is not None and st.until > t
        just_before = s.state(st.until - timedelta(seconds=1))
        assert (just_before.open, just_before.scenario, just_before.reason) == (st.open, st.scenario, st.reason)
        t = st.until
    assert seen[:6] == [
        ("Mon 00:00", "closed"),
        ("Mon 07:00", "monitoring"),
        ("Mon 12:00", "lunch"),
        ("Mon 14:00", "monitoring"),
        ("Mon 22:00", "closed"),
        ("Tue 07:00", "monitoring"),
    ]
    assert ("Tue 10:00", "launch") in seen and ("Tue 11:00", "monitoring") in seen
    assert seen[-3:] == [("Sat 09:00", "monitoring"), ("Sat 12:00", "monitoring"), ("Sat 18:00", "closed")]


# ------------------------------------------------------------------------------------------- night


def test_night_dim_shows_its_scenario_dimmed(tmp_path):
    night = schedule_of(tmp_path, SNCF).state(paris(2026, 11, 25, 23, 0))
    assert night.scenario == "screensaver"
    assert night.night is not None and night.night.mode == "dim" and night.night.level == 0.15


def test_night_black_shows_nothing(tmp_path):
    s = schedule_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          hours: { daily: "07:00-22:00" }
          default: monitoring
        """,
    )
    night = s.state(paris(2026, 11, 25, 23, 0))
    assert night.scenario is None and night.night.mode == "black" and night.night.level == 0.0


def test_pixel_shift_walks_one_pixel_at_a_time_over_a_small_square_and_is_the_same_everywhere(tmp_path):
    a, b = schedule_of(tmp_path, SNCF), schedule_of(tmp_path, SNCF)
    start = paris(2026, 11, 25, 23, 0)
    shifts = [a.state(start + timedelta(seconds=60 * i)).night.shift for i in range(200)]
    assert shifts == [b.state(start + timedelta(seconds=60 * i)).night.shift for i in range(200)]
    assert all(max(abs(dx), abs(dy)) <= 4 for dx, dy in shifts)
    steps = [abs(x1 - x0) + abs(y1 - y0) for (x0, y0), (x1, y1) in itertools.pairwise(shifts)]
    assert set(steps) == {1}  # every minute, one pixel: never a jump
    assert len(set(shifts)) == 81  # the whole 9x9 square is visited
    # constant within a step: a frame at :59 and one at :00 of the same minute agree
    assert a.state(start + timedelta(seconds=5)).night.shift == a.state(start + timedelta(seconds=59.9)).night.shift


def test_pixel_shift_is_a_function_of_the_epoch():
    t = datetime(2026, 11, 25, 22, 0, tzinfo=UTC)
    assert pixel_shift(t, 4, 60) == pixel_shift(t.astimezone(PARIS), 4, 60)
    assert pixel_shift(t, 0, 60) == (0, 0)
    assert pixel_shift(datetime.fromtimestamp(0, UTC), 2, 60) == (-2, -2)


# ------------------------------------------------------------------------------------------- config errors


def test_a_time_that_does_not_exist_is_reported_at_its_line(tmp_path):
    errors = errors_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          hours:
            mon-fri: "07:00-25:00"
        """,
    )
    assert errors == [
        "wall.yaml:20:14: schedule.hours.mon-fri: '25:00' is not a time of day; write HH:MM from 00:00 to 24:00"
    ]


def test_a_bad_time_in_a_day_part(tmp_path):
    errors = errors_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          dayparts:
            - { at: "7h-12h", scenario: monitoring }
        """,
    )
    assert errors == [
        "wall.yaml:20:13: schedule.dayparts.0.at: '7h' is not a time of day; write HH:MM from 00:00 to 23:59"
    ]


def test_an_unknown_weekday_suggests_one(tmp_path):
    errors = errors_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          hours:
            mon-fri: "07:00-22:00"
            staurday: "09:00-18:00"
        """,
    )
    assert errors == [
        "wall.yaml:21:15: schedule.hours.staurday: unknown weekday 'staurday' (did you mean 'sat'?); "
        "write mon, tue, wed, thu, fri, sat or sun (a range like mon-fri, a list like sat,sun, or daily)"
    ]


def test_a_day_given_twice(tmp_path):
    errors = errors_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          hours: { mon-fri: "07:00-22:00", fri: "07:00-23:00" }
        """,
    )
    assert errors == ["wall.yaml:19:41: schedule.hours.fri: fri is given twice, under 'mon-fri' and 'fri'"]


def test_an_unknown_scenario_names_the_known_ones(tmp_path):
    errors = errors_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          weekly:
            - { days: tue, at: "10:00-11:00", scenario: lanch }
          night: { mode: dim, scenario: logo }
        """,
    )
    known = "(scenarios: monitoring, crisis, launch, lunch, screensaver)"
    assert errors == [
        "wall.yaml:20:49: schedule.weekly.0.scenario: 'lanch' is not a scenario of this wall; "
        f"did you mean 'launch'? {known}",
        f"wall.yaml:21:33: schedule.night.scenario: 'logo' is not a scenario of this wall {known}",
    ]


def test_an_unknown_time_zone(tmp_path):
    errors = errors_of(tmp_path, "schedule: { timezone: Europe/Pari }\n")
    assert errors == [
        "wall.yaml:17:23: schedule.timezone: unknown time zone 'Europe/Pari'; use an IANA name like 'Europe/Paris'"
    ]


def test_unquoted_times_and_other_mistakes(tmp_path):
    errors = errors_of(
        tmp_path,
        """\
        schedule:
          timezone: Europe/Paris
          hours: { daily: "07:00-22:00" }
          calendar:
            - { date: 2026-12-25 }
            - { date: 2026-12-26..2026-12-24, closed: true }
          weekly:
            - { days: tue, at: 10:00, scenario: launch }
          night: { level: 0.3 }
          dayparts:
            - { at: "08:00-08:00", scenario: lunch }
        """,
    )
    assert errors == [  # in the order of the schedule's keys
        "wall.yaml:27:13: schedule.dayparts.0.at: '08:00-08:00' starts and ends at the same time; "
        "for the whole day write '00:00-24:00'",
        "wall.yaml:24:24: schedule.weekly.0.at: expected a time range like '10:00-11:00' in quotes, got 600",
        "wall.yaml:21:7: schedule.calendar.0: give a calendar entry either scenario: <name> or closed: true",
        "wall.yaml:22:15: schedule.calendar.1.date: '2026-12-26..2026-12-24' ends before it starts",
        "wall.yaml:25:19: schedule.night.level: level goes with mode: dim (a black night shows nothing)",
    ]


def test_unknown_key_in_the_schedule(tmp_path):
    errors = errors_of(tmp_path, "schedule: { timezone: Europe/Paris, hour: {} }\n")
    assert errors == [
        "wall.yaml:17:37: schedule.hour: unknown key 'hour'; did you mean 'hours'? "
        "(allowed here: timezone, hours, default, dayparts, weekly, calendar, night)"
    ]


def test_the_demo_schedule_is_open_around_the_clock():
    s = Schedule.from_config(load_config(Path(__file__).resolve().parent.parent / "config" / "demo.yaml"))
    for hour in range(0, 24 * 7, 5):
        st = s.state(paris(2026, 11, 23, 0, 0) + timedelta(hours=hour))
        assert st.open and st.scenario == "monitoring"
