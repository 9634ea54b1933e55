# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""State Manager schedule expressions, checked before any call.

Rules from the Systems Manager user guide ("Reference: Cron and rate expressions for
Systems Manager", association section):
- rate(N unit): unit minute(s), hour(s) or day(s), singular exactly when N is 1;
  associations accept intervals of 30 minutes or more and less than 31 days.
- cron(...): six fields (minutes hours day-of-month month day-of-week year), or seven
  with a leading seconds field that must be 0; one of day-of-month and day-of-week is
  '?'; associations do not support months (the month field is '*') and do not run
  more often than every 30 minutes.
- at(YYYY-MM-DDThh:mm:ss): a single run, in UTC.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError

RATE = re.compile(r"^rate\(([0-9]+) ([a-z]+)\)$")
CRON = re.compile(r"^cron\((.*)\)$")
AT = re.compile(r"^at\(([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})\)$")
SCHEDULE_MAX = 256  # ScheduleExpression: at most 256 characters
RATE_UNITS = {"minute": 1, "hour": 60, "day": 24 * 60}
MIN_INTERVAL_MINUTES = 30
RATE_LIMIT_MINUTES = 31 * 24 * 60  # intervals must be less than 31 days
DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
NUMBER = r"[0-9]{1,4}"
DAY = r"(?:[1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)"
# One comma-separated item per field kind; ranges and steps are range-checked after.
ITEM = {
    "numeric": re.compile(rf"^(?:\*|{NUMBER}(?:-{NUMBER})?)(?:/{NUMBER})?$"),
    "day_of_month": re.compile(rf"^(?:(?:\*|{NUMBER}(?:-{NUMBER})?)(?:/{NUMBER})?|L|LW|L-{NUMBER}|{NUMBER}W)$"),
    "day_of_week": re.compile(rf"^(?:(?:\*|{DAY}(?:-{DAY})?)(?:/{NUMBER})?|L|{DAY}L|{DAY}#[1-5])$"),
}
FIELDS = (
    ("minutes", "numeric", 0, 59),
    ("hours", "numeric", 0, 23),
    ("day-of-month", "day_of_month", 1, 31),
    ("month", None, 1, 12),
    ("day-of-week", "day_of_week", 1, 7),
    ("year", "numeric", 1970, 2199),
)


def schedule_kind(expression: str | None) -> str | None:
    """'rate', 'cron' or 'at' for a checked expression (None for no schedule)."""
    if expression is None:
        return None
    return expression.split("(", 1)[0]


def check_schedule(expression: Any, field: str = "schedule") -> str | None:
    """Validate an association schedule; returns it unchanged."""
    if expression is None:
        return None
    if not isinstance(expression, str) or not expression.strip():
        raise KeelRuleError(f"{field}: must be a cron(...), rate(...) or at(...) expression")
    if len(expression) > SCHEDULE_MAX:
        raise KeelRuleError(f"{field}: longer than {SCHEDULE_MAX} characters")
    if expression.startswith("rate("):
        _check_rate(expression, field)
    elif expression.startswith("cron("):
        _check_cron(expression, field)
    elif expression.startswith("at("):
        _check_at(expression, field)
    else:
        raise KeelRuleError(f"{field} {expression!r}: must be cron(...), rate(...) or at(...), e.g. rate(30 minutes)")
    return expression


def _check_rate(expression, field):
    match = RATE.match(expression)
    if not match:
        raise KeelRuleError(f"{field} {expression!r}: a rate is rate(N unit), e.g. rate(30 minutes) or rate(1 day)")
    text, unit = match.groups()
    value = int(text)
    if value < 1 or text != str(value):
        raise KeelRuleError(f"{field} {expression!r}: the rate value must be a positive integer")
    singular = unit.rstrip("s")
    if singular not in RATE_UNITS or unit not in (singular, singular + "s"):
        raise KeelRuleError(f"{field} {expression!r}: the unit must be minute(s), hour(s) or day(s)")
    if (value == 1) != (unit == singular):
        expected = singular if value == 1 else singular + "s"
        raise KeelRuleError(f"{field} {expression!r}: with {value} the unit is {expected!r}")
    minutes = value * RATE_UNITS[singular]
    if minutes < MIN_INTERVAL_MINUTES:
        raise KeelRuleError(f"{field} {expression!r}: associations run at most every {MIN_INTERVAL_MINUTES} minutes")
    if minutes >= RATE_LIMIT_MINUTES:
        raise KeelRuleError(f"{field} {expression!r}: a rate must be less than 31 days")


def _expand(item, low, high, field, name):
    """Values of one numeric item (N, N-M, *, with optional /step) within low..high."""
    base, _slash, step = item.partition("/")
    if base == "*":
        start, stop = low, high
    elif "-" in base:
        start, stop = (int(part) for part in base.split("-"))
    else:
        start = stop = int(base)
    for value in (start, stop):
        if not low <= value <= high:
            raise KeelRuleError(f"{field}: {name} value {value} is outside {low}-{high}")
    if start > stop:
        raise KeelRuleError(f"{field}: {name} range {base} runs backwards")
    if step:
        if int(step) < 1:
            raise KeelRuleError(f"{field}: {name} step must be at least 1")
        if base != "*" and "-" not in base:
            stop = high  # "0/30" means from 0 every 30
        return set(range(start, stop + 1, int(step)))
    return set(range(start, stop + 1))


def _check_cron(expression, field):
    match = CRON.match(expression)
    fields = match.group(1).split() if match else []
    if len(fields) == 7:
        if fields[0] != "0":
            raise KeelRuleError(f"{field} {expression!r}: for associations the optional seconds field can only be 0")
        fields = fields[1:]
    if len(fields) != 6:
        raise KeelRuleError(
            f"{field} {expression!r}: a cron expression has 6 fields (minutes hours day-of-month month"
            " day-of-week year), optionally preceded by seconds (0)"
        )
    where = f"{field} {expression!r}"
    values = {}
    for text, (name, kind, low, high) in zip(fields, FIELDS):
        if name == "month":
            if text != "*":
                raise KeelRuleError(f"{where}: State Manager does not support months; the month field must be '*'")
            continue
        if text == "?":
            if name not in ("day-of-month", "day-of-week"):
                raise KeelRuleError(f"{where}: '?' is only allowed in day-of-month or day-of-week")
            values[name] = None
            continue
        expanded = set()
        for item in text.split(","):
            if not ITEM[kind].match(item):
                raise KeelRuleError(f"{where}: {name} item {item!r} is not valid")
            if ITEM["numeric"].match(item):
                expanded |= _expand(item, low, high, where, name)
            elif kind == "day_of_week" and re.match(rf"^{DAY}(?:-{DAY})?(?:/{NUMBER})?$", item):
                expanded |= _expand(_day_numbers(item), low, high, where, name)
        values[name] = expanded
    if (fields[2] == "?") == (fields[4] == "?"):
        raise KeelRuleError(f"{where}: exactly one of day-of-month and day-of-week must be '?'")
    _check_cron_interval(values["minutes"], values["hours"], where)


def _day_numbers(item):
    for index, day in enumerate(DAY_NAMES, start=1):
        item = re.sub(rf"\b{day}\b", str(index), item)
    return item


def _check_cron_interval(minutes, hours, where):
    """Reject schedules that fire more often than every 30 minutes."""
    ordered = sorted(minutes)
    gaps = [b - a for a, b in zip(ordered, ordered[1:])]
    # The gap across the hour boundary counts when two consecutive hours both fire.
    if any((hour + 1) % 24 in hours for hour in hours):
        gaps.append(60 - ordered[-1] + ordered[0])
    if gaps and min(gaps) < MIN_INTERVAL_MINUTES:
        raise KeelRuleError(f"{where}: associations run at most every {MIN_INTERVAL_MINUTES} minutes")


def _check_at(expression, field):
    match = AT.match(expression)
    if not match:
        raise KeelRuleError(f"{field} {expression!r}: a single run is at(YYYY-MM-DDThh:mm:ss), in UTC")
    try:
        datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")
    except ValueError as exc:
        raise KeelRuleError(f"{field} {expression!r}: not a valid date and time ({exc})") from None
