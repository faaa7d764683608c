"""Schedules: when a schedule YAML's trigger fires, checked at preview and computed for the stack outputs.

An Azure ML schedule (schedule.schema.json) fires its `create_job` on a `cron` expression or a
`recurrence` (`frequency`, `interval`, and for day, week or month a `schedule` of hours, minutes,
week days or month days), between `start_time` and `end_time`, in a `time_zone` named the way Windows
names zones ("Pacific Standard Time", "UTC": azure-ai-ml's TimeZone, which the schema check holds it to).
Cron expressions are parsed and iterated by cronsim (cron's rules, daylight saving included), in the
zone zoneinfo gives for that name (tzlocal's table of Windows names); a recurrence is iterated the same
way, as the cron expression of its pattern, keeping every `interval`-th day, week or month from its start.

Pure: no azure-ai-ml import, no I/O, so a no-op preview pays nothing for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from tzlocal.windows_tz import win_tz

from components.spec.validation import DefinitionError

NEXT_RUNS = 3
DEFAULT_TIME_ZONE = "UTC"
FREQUENCIES = ("minute", "hour", "day", "week", "month")
WEEK_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Two zones azure-ai-ml lists that CLDR's table (tzlocal's) dropped: Windows retired them.
_RETIRED_WINDOWS_ZONES = {"Mid-Atlantic Standard Time": "Etc/GMT+2", "Kamchatka Standard Time": "Asia/Kamchatka"}
# A pattern that never matches still ends the search: a year of minutes is more than any recurrence needs.
_SEARCH_LIMIT = 366 * 24 * 60


def trigger_of(body: Mapping[str, Any]) -> dict[str, Any]:
    """The trigger as the stack outputs and the provider carry it: times as ISO 8601 text (YAML may have made them datetimes)."""
    trigger = dict(body.get("trigger") or {})
    for key in ("start_time", "end_time"):
        if isinstance(trigger.get(key), datetime | date):
            trigger[key] = trigger[key].isoformat()
    return trigger


def check_trigger(trigger: Mapping[str, Any]) -> None:
    """Everything about a trigger that would fail on Azure ML or never fire, as `DefinitionError("trigger.<field>: ...")`."""
    zone = time_zone(trigger)
    start, end = (_moment(trigger, key, zone) for key in ("start_time", "end_time"))
    if start is not None and end is not None and end <= start:
        raise DefinitionError(f"trigger.end_time: {trigger['end_time']} is not after start_time {trigger['start_time']}")
    kind = trigger.get("type")
    if kind == "cron":
        _check_cron(trigger.get("expression"), zone)
    elif kind == "recurrence":
        _check_recurrence(trigger)
    else:
        raise DefinitionError(f"trigger.type: {kind!r} is not a trigger Azure ML fires (cron or recurrence)")


def next_runs(trigger: Mapping[str, Any], now: datetime, count: int = NEXT_RUNS) -> list[str]:
    """The next `count` fire times after `now` (ISO 8601, in the trigger's time zone); fewer once `end_time` is near."""
    zone = time_zone(trigger)
    now = now.astimezone(zone)
    start = _moment(trigger, "start_time", zone)
    end = _moment(trigger, "end_time", zone)
    if trigger.get("type") == "cron":
        times = _cron_times(trigger["expression"], max(now, start) if start else now)
    else:
        times = _recurrence_times(trigger, now, start or now, zone)
    runs: list[str] = []
    for moment in times:
        if end is not None and moment > end:
            break
        runs.append(moment.isoformat())
        if len(runs) == count:
            break
    return runs


def time_zone(trigger: Mapping[str, Any]) -> ZoneInfo:
    name = trigger.get("time_zone") or DEFAULT_TIME_ZONE
    iana = (_RETIRED_WINDOWS_ZONES.get(name) or win_tz.get(name)) if isinstance(name, str) else None
    if iana is None:
        raise DefinitionError(
            f"trigger.time_zone: {name!r} is not a time zone Azure ML knows; name it as Windows does ('UTC', 'W. Europe Standard Time')"
        )
    try:
        return ZoneInfo(iana)
    except ZoneInfoNotFoundError:
        raise DefinitionError(f"trigger.time_zone: {name!r} ({iana}) is not in this machine's time zone database") from None


def _moment(trigger: Mapping[str, Any], key: str, zone: ZoneInfo) -> datetime | None:
    """`start_time`/`end_time`: a wall-clock time in the trigger's zone (or, with an offset, that instant)."""
    value = trigger.get(key)
    if value is None:
        return None
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise DefinitionError(f"trigger.{key}: {value!r} is not an ISO 8601 time such as 2026-01-31T02:00:00") from None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def _check_cron(expression: Any, zone: ZoneInfo) -> None:
    if not isinstance(expression, str) or len(expression.split()) != 5:
        raise DefinitionError(
            f"trigger.expression: {expression!r} is not a cron expression of five fields (minute hour day-of-month month day-of-week)"
        )
    try:
        CronSim(expression, datetime.now(zone))
    except CronSimError as err:
        raise DefinitionError(f"trigger.expression: {expression!r} does not parse: {err}") from None


def _cron_times(expression: str, after: datetime) -> Iterator[datetime]:
    # cronsim starts strictly after the moment it is given; a start_time on a fire time fires then.
    return iter(CronSim(expression, after - timedelta(seconds=1)))


def _check_recurrence(trigger: Mapping[str, Any]) -> None:
    frequency, interval = trigger.get("frequency"), trigger.get("interval")
    if frequency not in FREQUENCIES:
        raise DefinitionError(f"trigger.frequency: {frequency!r} is not one of {', '.join(FREQUENCIES)}")
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise DefinitionError(f"trigger.interval: {interval!r} is not a whole number of {frequency}s of at least 1")
    pattern = trigger.get("schedule")
    if pattern is None:
        return
    if not isinstance(pattern, Mapping):
        raise DefinitionError("trigger.schedule: expected hours, minutes and (for week or month) week_days or month_days")
    if frequency in ("minute", "hour"):
        raise DefinitionError(
            f"trigger.schedule: a recurrence of frequency {frequency} fires every {interval} {frequency}(s), with no schedule"
        )
    for key, low, high in (("hours", 0, 23), ("minutes", 0, 59), ("month_days", 1, 31)):
        for value in _listed(pattern.get(key)):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise DefinitionError(f"trigger.schedule.{key}: {value!r} is not a whole number from {low} to {high}")
    for key in ("hours", "minutes"):
        if not _listed(pattern.get(key)):
            raise DefinitionError(f"trigger.schedule.{key}: required (the {key} of the day it fires at)")
    for key, needs in (("week_days", "week"), ("month_days", "month")):
        if pattern.get(key) is not None and frequency != needs:
            raise DefinitionError(f"trigger.schedule.{key}: only a recurrence of frequency {needs} fires on {key.replace('_', ' ')}")
    for day in _listed(pattern.get("week_days")):
        if str(day).lower() not in WEEK_DAYS:
            raise DefinitionError(f"trigger.schedule.week_days: {day!r} is not a day of the week ({', '.join(WEEK_DAYS)})")


def _recurrence_times(trigger: Mapping[str, Any], now: datetime, anchor: datetime, zone: ZoneInfo) -> Iterator[datetime]:
    """Every `interval`-th minute, hour, day, week or month from the start (Azure ML counts from start_time)."""
    frequency, interval = trigger["frequency"], trigger["interval"]
    if frequency in ("minute", "hour"):
        step = timedelta(minutes=interval) if frequency == "minute" else timedelta(hours=interval)
        # Whole steps from the start, in absolute time: a daylight-saving change does not move them.
        passed = max(0, -(-(now - anchor) // step))
        moment = anchor + passed * step
        while True:
            yield moment.astimezone(zone)
            moment += step
    pattern = trigger.get("schedule") or _pattern_of(frequency, anchor)
    expression = " ".join(
        [
            _field(pattern.get("minutes")),
            _field(pattern.get("hours")),
            _field(pattern.get("month_days")),
            "*",
            # cron counts week days from Sunday (0)
            _field([(WEEK_DAYS.index(str(d).lower()) + 1) % 7 for d in _listed(pattern.get("week_days"))]),
        ]
    )
    begin = max(now, anchor) - timedelta(seconds=1)
    for examined, moment in enumerate(CronSim(expression, begin)):
        if examined > _SEARCH_LIMIT:
            return
        if _periods_between(frequency, anchor, moment) % interval == 0:
            yield moment


def _pattern_of(frequency: str, anchor: datetime) -> dict[str, Any]:
    """Without a `schedule`, a day, week or month recurrence fires at its start's time of day (and week day, or month day)."""
    pattern: dict[str, Any] = {"hours": [anchor.hour], "minutes": [anchor.minute]}
    if frequency == "week":
        pattern["week_days"] = [WEEK_DAYS[anchor.weekday()]]
    if frequency == "month":
        pattern["month_days"] = [anchor.day]
    return pattern


def _periods_between(frequency: str, anchor: datetime, moment: datetime) -> int:
    if frequency == "day":
        return (moment.date() - anchor.date()).days
    if frequency == "week":
        return (moment.date() - anchor.date() + timedelta(days=anchor.weekday())).days // 7
    return (moment.year - anchor.year) * 12 + moment.month - anchor.month


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _field(values: Any) -> str:
    return ",".join(str(v) for v in sorted({int(v) for v in _listed(values)})) or "*"
