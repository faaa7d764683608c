"""When a schedule fires: cron expressions and recurrences, in Windows-named time zones, daylight saving included."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from components.spec.schedule_specs import check_trigger, next_runs
from components.spec.validation import DefinitionError

# A Sunday afternoon.
NOW = datetime(2026, 12, 6, 16, 40, tzinfo=UTC)


def cron(expression: str, **fields: Any) -> dict[str, Any]:
    return {"type": "cron", "expression": expression, **fields}


def recurrence(frequency: str, interval: int, **fields: Any) -> dict[str, Any]:
    return {"type": "recurrence", "frequency": frequency, "interval": interval, **fields}


def test_a_nightly_cron_fires_at_its_hour_in_its_time_zone() -> None:
    trigger = cron("0 2 * * *", time_zone="W. Europe Standard Time")
    assert next_runs(trigger, NOW) == ["2026-12-07T02:00:00+01:00", "2026-12-08T02:00:00+01:00", "2026-12-09T02:00:00+01:00"]


def test_without_a_time_zone_a_schedule_runs_in_utc() -> None:
    assert next_runs(cron("30 17 * * *"), NOW)[0] == "2026-12-06T17:30:00+00:00"


def test_a_cron_across_the_spring_forward_fires_at_the_first_time_that_exists_then_keeps_its_hour() -> None:
    # 02:30 does not exist in New York on 8 March 2026 (clocks go from 02:00 to 03:00).
    trigger = cron("30 2 * * *", time_zone="Eastern Standard Time")
    assert next_runs(trigger, datetime(2026, 3, 7, 12, tzinfo=UTC)) == [
        "2026-03-08T03:00:00-04:00",
        "2026-03-09T02:30:00-04:00",
        "2026-03-10T02:30:00-04:00",
    ]


def test_a_cron_across_the_fall_back_fires_once_and_changes_its_offset() -> None:
    trigger = cron("0 3 * * *", time_zone="W. Europe Standard Time")
    assert next_runs(trigger, datetime(2026, 10, 24, 12, tzinfo=UTC)) == [
        "2026-10-25T03:00:00+01:00",
        "2026-10-26T03:00:00+01:00",
        "2026-10-27T03:00:00+01:00",
    ]
    assert next_runs(trigger, datetime(2026, 10, 23, 12, tzinfo=UTC))[0] == "2026-10-24T03:00:00+02:00"


def test_a_start_time_in_the_future_is_when_it_starts_and_a_fire_time_on_it_counts() -> None:
    trigger = cron("0 * * * *", start_time="2027-01-01T00:00:00", time_zone="Tokyo Standard Time")
    assert next_runs(trigger, NOW) == ["2027-01-01T00:00:00+09:00", "2027-01-01T01:00:00+09:00", "2027-01-01T02:00:00+09:00"]


def test_the_end_time_cuts_the_runs_short_and_a_past_end_leaves_none() -> None:
    assert next_runs(cron("0 2 * * *", end_time="2026-12-08T12:00:00"), NOW) == ["2026-12-07T02:00:00+00:00", "2026-12-08T02:00:00+00:00"]
    assert next_runs(cron("0 2 * * *", end_time="2026-01-01T00:00:00"), NOW) == []


def test_azureml_examples_daily_recurrence_fires_at_each_hour_and_minute_of_its_pattern() -> None:
    # azureml-examples cli/schedules/recurrence-job-schedule.yml
    trigger = recurrence("day", 1, schedule={"hours": [4, 5, 10, 11, 12], "minutes": [0, 30]})
    trigger |= {"start_time": "2022-07-10T10:00:00", "time_zone": "Pacific Standard Time"}
    assert next_runs(trigger, NOW) == ["2026-12-06T10:00:00-08:00", "2026-12-06T10:30:00-08:00", "2026-12-06T11:00:00-08:00"]


def test_a_weekly_recurrence_every_other_week_counts_weeks_from_its_start() -> None:
    trigger = recurrence(
        "week", 2, schedule={"hours": 3, "minutes": 0, "week_days": ["monday", "sunday"]}, start_time="2026-11-30T00:00:00"
    )
    # Week 0 (30 Nov to 6 Dec) is over by now; week 1 is skipped; week 2 fires on its Monday and Sunday.
    assert next_runs(trigger, NOW) == ["2026-12-14T03:00:00+00:00", "2026-12-20T03:00:00+00:00", "2026-12-28T03:00:00+00:00"]


def test_an_hourly_recurrence_steps_from_its_start_in_absolute_time() -> None:
    trigger = recurrence("hour", 5, start_time="2026-12-06T00:10:00")
    assert next_runs(trigger, NOW) == ["2026-12-06T20:10:00+00:00", "2026-12-07T01:10:00+00:00", "2026-12-07T06:10:00+00:00"]


def test_a_monthly_recurrence_without_a_pattern_keeps_its_start_day_and_skips_months_without_it() -> None:
    trigger = recurrence("month", 1, start_time="2026-01-31T01:00:00")
    assert next_runs(trigger, NOW) == ["2026-12-31T01:00:00+00:00", "2027-01-31T01:00:00+00:00", "2027-03-31T01:00:00+00:00"]


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        (cron("61 2 * * *"), "trigger.expression: '61 2 * * *' does not parse: Bad minute"),
        (cron("0 0 2 * * *"), "trigger.expression: '0 0 2 * * *' is not a cron expression of five fields"),
        (cron("0 2 * * *", time_zone="Europe/Amsterdam"), "trigger.time_zone: 'Europe/Amsterdam' is not a time zone Azure ML knows"),
        (
            cron("0 2 * * *", start_time="2027-01-01T00:00:00", end_time="2026-01-01T00:00:00"),
            "trigger.end_time: 2026-01-01T00:00:00 is not after start_time 2027-01-01T00:00:00",
        ),
        (cron("0 2 * * *", start_time="tomorrow"), "trigger.start_time: 'tomorrow' is not an ISO 8601 time"),
        (recurrence("fortnight", 1), "trigger.frequency: 'fortnight' is not one of minute, hour, day, week, month"),
        (recurrence("day", 0), "trigger.interval: 0 is not a whole number of days of at least 1"),
        (recurrence("hour", 1, schedule={"hours": [1], "minutes": [0]}), "trigger.schedule: a recurrence of frequency hour"),
        (recurrence("day", 1, schedule={"hours": [24], "minutes": [0]}), "trigger.schedule.hours: 24 is not a whole number from 0 to 23"),
        (recurrence("day", 1, schedule={"hours": [2]}), "trigger.schedule.minutes: required"),
        (
            recurrence("day", 1, schedule={"hours": [2], "minutes": [0], "week_days": ["monday"]}),
            "trigger.schedule.week_days: only a recurrence of frequency week fires on week days",
        ),
        (recurrence("week", 1, schedule={"hours": [2], "minutes": [0], "week_days": ["funday"]}), "trigger.schedule.week_days: 'funday'"),
    ],
)
def test_a_trigger_that_cannot_fire_as_written_is_refused(trigger: dict[str, Any], message: str) -> None:
    with pytest.raises(DefinitionError) as refused:
        check_trigger(trigger)
    assert str(refused.value).startswith(message), str(refused.value)
