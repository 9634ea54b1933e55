# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parameter policies (Expiration, ExpirationNotification, NoChangeNotification).

Input is a list of policy mappings or its JSON text. Each policy is checked for a known
Type, Version 1.0 and exactly the attributes its type takes (per the PutParameter API
reference); the list for at most 10 policies, at most one Expiration and the 4096
characters the API takes. Comparison is semantic (timestamps as instants, numbers as
numbers) so AWS re-formatting the stored JSON does not make a task report a change.
"""

from __future__ import annotations

import ast
import datetime
import json
import re
from typing import Any, Iterable, Mapping

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError

POLICY_VERSION = "1.0"
POLICY_ATTRIBUTES = {
    "Expiration": ("Timestamp",),
    "ExpirationNotification": ("Before", "Unit"),
    "NoChangeNotification": ("After", "Unit"),
}
POLICY_UNITS = ("Days", "Hours")
POLICIES_MAX = 10
POLICIES_JSON_MAX = 4096
TIMESTAMP = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$")


def parse_timestamp(text: Any, field: str) -> datetime.datetime:
    """ISO 8601 date-time -> aware datetime (UTC when no offset is given)."""
    match = TIMESTAMP.match(text) if isinstance(text, str) else None
    if not match:
        raise KeelRuleError(f"{field}: Timestamp {text!r} is not an ISO 8601 date-time like 2030-01-31T00:00:00Z")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    offset = datetime.timedelta(0)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    try:
        parts = (int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro)
        stamp = datetime.datetime(*parts, tzinfo=datetime.timezone(offset))
    except ValueError as exc:
        raise KeelRuleError(f"{field}: Timestamp {text!r}: {exc}") from None
    return stamp.astimezone(datetime.timezone.utc)


def _positive_int(value, attribute, field):
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit() or int(value) < 1:
        raise KeelRuleError(f"{field}: {attribute} must be a positive whole number, got {value!r}")
    return str(int(value))


def _unit(value, field):
    for unit in POLICY_UNITS:
        if isinstance(value, str) and value.lower() == unit.lower():
            return unit
    raise KeelRuleError(f"{field}: Unit must be one of {', '.join(POLICY_UNITS)}, got {value!r}")


def _check_policy(policy, field):
    if not isinstance(policy, dict):
        raise KeelRuleError(f"{field}: each policy must be a mapping with Type, Version and Attributes")
    unknown = sorted(set(policy) - {"Type", "Version", "Attributes"})
    if unknown:
        raise KeelRuleError(f"{field}: unknown policy key(s) {', '.join(unknown)}")
    kind = policy.get("Type")
    if kind not in POLICY_ATTRIBUTES:
        raise KeelRuleError(f"{field}: Type must be one of {', '.join(POLICY_ATTRIBUTES)}, got {kind!r}")
    field = f"{field} ({kind})"
    version = str(policy.get("Version", POLICY_VERSION))
    if version != POLICY_VERSION:
        raise KeelRuleError(f"{field}: Version must be {POLICY_VERSION!r}, got {version!r}")
    attributes = policy.get("Attributes")
    if not isinstance(attributes, dict):
        raise KeelRuleError(f"{field}: Attributes must be a mapping")
    expected = POLICY_ATTRIBUTES[kind]
    if set(attributes) != set(expected):
        raise KeelRuleError(
            f"{field}: Attributes must be exactly {', '.join(expected)}, got {', '.join(sorted(attributes)) or 'none'}"
        )
    checked = {}
    for name in expected:
        value = attributes[name]
        if name == "Timestamp":
            parse_timestamp(value, field)
            checked[name] = value
        elif name == "Unit":
            checked[name] = _unit(value, field)
        else:
            checked[name] = _positive_int(value, name, field)
    return {"Type": kind, "Version": POLICY_VERSION, "Attributes": checked}


def parse_policies(raw: Any, field: str = "policies") -> list[dict[str, Any]] | None:
    """Validate policies given as a list or JSON text; returns the normalized list
    (None when not managed, [] to remove all policies)."""
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else []
        except ValueError as exc:
            raise KeelRuleError(f"{field}: not valid JSON ({exc})") from None
    if isinstance(raw, dict):
        raise KeelRuleError(f"{field}: must be a list (JSON array) of policies, not a single mapping")
    if not isinstance(raw, list):
        raise KeelRuleError(f"{field}: must be a list (JSON array) of policies")
    policies = [_check_policy(policy, f"{field}[{index}]") for index, policy in enumerate(raw)]
    if len(policies) > POLICIES_MAX:
        raise KeelRuleError(f"{field}: {len(policies)} policies given, at most {POLICIES_MAX} allowed")
    if sum(policy["Type"] == "Expiration" for policy in policies) > 1:
        raise KeelRuleError(f"{field}: at most one Expiration policy per parameter")
    if len(policies_json(policies)) > POLICIES_JSON_MAX:
        raise KeelRuleError(f"{field}: longer than {POLICIES_JSON_MAX} characters as JSON")
    return policies


def policies_json(policies: list[dict[str, Any]]) -> str:
    """The Policies argument of PutParameter."""
    return json.dumps(policies, separators=(",", ":"), sort_keys=True)


def _policy_text(text):
    if isinstance(text, dict):
        return text
    try:
        return json.loads(text)
    except ValueError:
        # moto 5.2.5 stores PolicyText as a Python repr of the policy; AWS returns JSON.
        return ast.literal_eval(text)


def policies_from_aws(inline_policies: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """Policies of a DescribeParameters/GetParameterHistory entry, as plain mappings."""
    return [_policy_text(entry.get("PolicyText")) for entry in inline_policies or []]


def _canonical(policy):
    attributes = dict(policy.get("Attributes") or {})
    for name, value in attributes.items():
        if name == "Timestamp":
            try:
                attributes[name] = parse_timestamp(value, "policy").isoformat()
            except KeelRuleError:
                attributes[name] = str(value)
        elif name == "Unit":
            attributes[name] = str(value).capitalize()
        else:
            attributes[name] = str(value)
    return json.dumps({"Type": policy.get("Type"), "Attributes": attributes}, sort_keys=True)


def same_policies(first: Iterable[Mapping[str, Any]] | None, second: Iterable[Mapping[str, Any]] | None) -> bool:
    """True when two policy lists mean the same (order and formatting ignored)."""
    return sorted(_canonical(p) for p in first or []) == sorted(_canonical(p) for p in second or [])
