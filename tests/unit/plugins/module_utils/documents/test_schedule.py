"""State Manager schedule rules (module_utils/documents/schedule.py): every example the user
guide gives for associations is accepted; each broken rule is refused with a message
that names the field and the rule."""

from __future__ import annotations

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.documents.schedule import (
    check_schedule,
    schedule_kind,
)
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError

# The user guide's association examples, plus forms its rules allow.
VALID = [
    "rate(30 minutes)",
    "rate(1 hour)",
    "rate(5 hours)",
    "rate(15 days)",
    "rate(30 days)",
    "cron(0/30 * * * ? *)",
    "cron(0 0/1 * * ? *)",
    "cron(0 0/2 * * ? *)",
    "cron(0 0/4 * * ? *)",
    "cron(0 0/8 * * ? *)",
    "cron(0 0/12 * * ? *)",
    "cron(15 13 ? * * *)",
    "cron(15 13 ? * MON *)",
    "cron(0 */30 * * * ? *)",
    "cron(0 0 ? * THU#2 *)",
    "cron(0 18 ? * MON-FRI *)",
    "cron(10,50 0/2 * * ? *)",
    "at(2026-07-07T15:55:00)",
]


@pytest.mark.parametrize("expression", VALID)
def test_valid_schedules(expression):
    assert check_schedule(expression) == expression


@pytest.mark.parametrize(
    ("expression", "rule"),
    [
        ("rate(29 minutes)", "at most every 30 minutes"),
        ("rate(1 minutes)", "the unit is 'minute'"),
        ("rate(5 hour)", "the unit is 'hours'"),
        ("rate(31 days)", "less than 31 days"),
        ("rate(744 hours)", "less than 31 days"),
        ("rate(0 days)", "positive integer"),
        ("rate(07 hours)", "positive integer"),
        ("rate(2 weeks)", "minute(s), hour(s) or day(s)"),
        ("rate(30minutes)", "rate(N unit)"),
        ("cron(0/15 * * * ? *)", "at most every 30 minutes"),
        ("cron(* * * * ? *)", "at most every 30 minutes"),
        ("cron(10,50 * * * ? *)", "at most every 30 minutes"),
        ("cron(0 0 * 1 ? *)", "month field must be '*'"),
        ("cron(0 0 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 0 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(5 0 0 * * ? *)", "seconds field can only be 0"),
        ("cron(0 0 * *)", "6 fields"),
        ("cron(61 0 * * ? *)", "outside 0-59"),
        ("cron(0 25 * * ? *)", "outside 0-23"),
        ("cron(0 0 ? * FOO *)", "day-of-week item 'FOO'"),
        ("cron(0 ? * * ? *)", "'?' is only allowed"),
        ("at(2026-13-07T15:55:00)", "not a valid date"),
        ("at(2026-07-07 15:55)", "at(YYYY-MM-DDThh:mm:ss)"),
        ("every day", "cron(...), rate(...) or at(...)"),
        ("", "must be a cron"),
    ],
)
def test_invalid_schedules_name_field_and_rule(expression, rule):
    with pytest.raises(KeelRuleError) as caught:
        check_schedule(expression)
    message = str(caught.value)
    assert message.startswith("schedule")
    assert rule in message


def test_kind():
    assert [schedule_kind(e) for e in ("rate(1 hour)", "cron(0 2 ? * * *)", None)] == ["rate", "cron", None]
