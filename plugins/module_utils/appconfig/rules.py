# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AppConfig input rules, checked before any call.

Limits and patterns come from botocore's appconfig service model (2019-10-09): botocore
itself only checks required members, types and minimum lengths, AWS checks the rest.
Rules marked "documented" come from the AppConfig user guide instead. Every failure
raises KeelRuleError with a message that names the field and the rule.
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.names import (
    check_parameter_name,
)

NAME_MAX = 64  # shape Name: applications, environments, strategies
LONG_NAME_MAX = 128  # shape LongName: configuration profiles
DESCRIPTION_MAX = 1024
ID_PATTERN = re.compile(r"^[a-z0-9]{4,7}$")
PREDEFINED_STRATEGY = re.compile(r"^AppConfig\.[A-Za-z0-9]{9,40}$")
ROLE_ARN = re.compile(r"^arn:(aws|aws-cn|aws-iso|aws-iso-[a-z]|aws-us-gov|aws-eusc):iam::\d{12}:role/.+$")
ARN_MAX = 2048
ROLE_ARN_MIN = 20
# CloudWatch alarms (metric or composite) and Lambda functions, as the monitors and
# LAMBDA validators expect them.
ALARM_ARN = re.compile(r"^arn:[a-z-]+:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.+$")
LAMBDA_ARN = re.compile(r"^arn:[a-z-]+:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$")
MONITORS_MAX = 5
VALIDATORS_MAX = 2
VALIDATOR_CONTENT_MAX = 32768
VALIDATOR_TYPES = ("JSON_SCHEMA", "LAMBDA")
PROFILE_TYPES = ("AWS.Freeform", "AWS.AppConfig.FeatureFlags")
FEATURE_FLAGS = "AWS.AppConfig.FeatureFlags"
HOSTED = "hosted"
URI_MAX = 2048
# Sources a configuration profile can point at (documented); hosted is the only one for
# feature flags, every other source needs a retrieval role.
LOCATION_SCHEMES = ("ssm-parameter://", "s3://", "ssm-document://", "secretsmanager://", "codepipeline://")
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
KMS_KEY_MAX = 2048
MINUTES_MAX = 1440  # MinutesBetween0And24Hours
GROWTH_FACTOR_RANGE = (1.0, 100.0)
GROWTH_TYPES = ("LINEAR", "EXPONENTIAL")
REPLICATE_TO = ("NONE", "SSM_DOCUMENT")
VERSION_MAX = 1024  # StartDeployment ConfigurationVersion
VERSION_LABEL_MAX = 64
CONTENT_TYPE_MAX = 255
# Documented: "Configurations must be 1 MB or smaller" (hosted configuration store).
HOSTED_CONTENT_MAX = 1024 * 1024


def _text(value, field, minimum, maximum, what="characters"):
    if not isinstance(value, str):
        raise KeelRuleError(f"{field}: must be a string")
    if not minimum <= len(value) <= maximum:
        raise KeelRuleError(f"{field} {value[:40]!r}: must be {minimum} to {maximum} {what} long")
    return value


def check_name(name: Any, field: str = "name", maximum: int = NAME_MAX) -> str:
    return _text(name, field, 1, maximum)


def check_profile_name(name: Any, field: str = "name") -> str:
    return _text(name, field, 1, LONG_NAME_MAX)


def check_description(description: Any, field: str = "description", ascii_only: bool = False) -> str | None:
    """None leaves a description alone; '' clears it."""
    if description is None:
        return None
    _text(description, field, 0, DESCRIPTION_MAX)
    if ascii_only and not description.isascii():
        # CreateHostedConfigurationVersion sends it as an HTTP header.
        raise KeelRuleError(f"{field}: only ASCII characters are allowed (AppConfig sends it as an HTTP header)")
    return description


def check_reference(value: Any, field: str) -> str:
    """An application, environment or profile given by name or ID."""
    return _text(value, field, 1, LONG_NAME_MAX)


def check_strategy_name(name: Any, field: str = "name") -> str:
    check_name(name, field)
    if name.startswith("AppConfig."):
        raise KeelRuleError(
            f"{field} {name!r}: names starting with 'AppConfig.' are AWS's predefined strategies, which cannot be"
            " created or changed; use such a strategy by name in keel.ssm.appconfig_deployment"
        )
    return name


def check_role_arn(arn: Any, field: str) -> str | None:
    if arn is None:
        return None
    if not isinstance(arn, str) or not ROLE_ARN_MIN <= len(arn) <= ARN_MAX or not ROLE_ARN.match(arn):
        raise KeelRuleError(f"{field} {arn!r}: must be an IAM role ARN, arn:aws:iam::<12-digit account>:role/NAME")
    return arn


def check_monitors(monitors: Any, field: str = "monitors") -> list[dict[str, str]] | None:
    """[{alarm_arn, alarm_role_arn}] -> the API's [{'AlarmArn', 'AlarmRoleArn'}], or None."""
    if monitors is None:
        return None
    if len(monitors) > MONITORS_MAX:
        raise KeelRuleError(f"{field}: {len(monitors)} given, an environment takes at most {MONITORS_MAX}")
    checked, seen = [], set()
    for index, monitor in enumerate(monitors):
        where = f"{field}[{index}]"
        alarm = monitor.get("alarm_arn")
        if not isinstance(alarm, str) or len(alarm) > ARN_MAX or not ALARM_ARN.match(alarm):
            raise KeelRuleError(
                f"{where}.alarm_arn {alarm!r}: must be a CloudWatch alarm ARN,"
                " arn:aws:cloudwatch:<region>:<account>:alarm:NAME"
            )
        if alarm in seen:
            raise KeelRuleError(f"{where}.alarm_arn {alarm!r}: listed twice")
        seen.add(alarm)
        entry = {"AlarmArn": alarm}
        role = check_role_arn(monitor.get("alarm_role_arn"), f"{where}.alarm_role_arn")
        if role:
            entry["AlarmRoleArn"] = role
        checked.append(entry)
    return checked


def check_location_uri(uri: Any, field: str = "location_uri") -> str:
    if not isinstance(uri, str) or not 1 <= len(uri) <= URI_MAX:
        raise KeelRuleError(f"{field}: must be 'hosted' or a source URI of at most {URI_MAX} characters")
    if uri == HOSTED:
        return uri
    scheme = next((s for s in LOCATION_SCHEMES if uri.startswith(s)), None)
    if scheme is None:
        raise KeelRuleError(f"{field} {uri!r}: must be 'hosted' or start with one of {', '.join(LOCATION_SCHEMES)}")
    rest = uri.removeprefix(scheme)
    if not rest:
        raise KeelRuleError(f"{field} {uri!r}: names nothing after {scheme}")
    if scheme == "ssm-parameter://" and not rest.startswith("arn:"):
        try:
            check_parameter_name(rest, field=f"{field} parameter")
        except KeelRuleError as exc:
            raise KeelRuleError(str(exc)) from None
    if scheme == "s3://":
        bucket, _slash, key = rest.partition("/")
        if not S3_BUCKET.match(bucket) or ".." in bucket:
            raise KeelRuleError(
                f"{field} {uri!r}: bucket {bucket!r} is not a valid S3 bucket name (3 to 63 lowercase letters,"
                " digits, '.' and '-')"
            )
        if not key:
            raise KeelRuleError(f"{field} {uri!r}: must name an object, s3://BUCKET/KEY")
    return uri


def check_profile_source(location_uri: str, profile_type: str | None, retrieval_role_arn: str | None) -> None:
    """The combinations AppConfig refuses (documented)."""
    if profile_type == FEATURE_FLAGS and location_uri != HOSTED:
        raise KeelRuleError(
            f"location_uri {location_uri!r}: {FEATURE_FLAGS} profiles live in the hosted configuration store;"
            " use 'hosted'"
        )
    if location_uri != HOSTED and not retrieval_role_arn:
        raise KeelRuleError(
            f"retrieval_role_arn: required for location_uri {location_uri!r} (AppConfig reads every source but the"
            " hosted store with this role)"
        )


def check_kms_key(key: Any, field: str = "kms_key_identifier") -> str | None:
    if key is None:
        return None
    return _text(key, field, 1, KMS_KEY_MAX)


def check_minutes(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MINUTES_MAX:
        raise KeelRuleError(f"{field}: must be a whole number of minutes from 0 to {MINUTES_MAX}, got {value!r}")
    return value


def check_growth_factor(value: Any, field: str = "growth_factor") -> float | None:
    if value is None:
        return None
    low, high = GROWTH_FACTOR_RANGE
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise KeelRuleError(f"{field}: must be a percentage from {low:g} to {high:g}, got {value!r}")
    return float(value)


def check_strategy_reference(value: Any, field: str = "strategy") -> str:
    if not isinstance(value, str) or not value:
        raise KeelRuleError(f"{field}: must be a strategy name or ID")
    if value.startswith("AppConfig.") and not PREDEFINED_STRATEGY.match(value):
        raise KeelRuleError(
            f"{field} {value!r}: not a predefined strategy ID (AppConfig. followed by 9 to 40 letters or digits,"
            " e.g. AppConfig.AllAtOnce)"
        )
    return check_name(value, field)


def check_configuration_version(value: Any, field: str = "configuration_version") -> str:
    if isinstance(value, bool) or value is None:
        raise KeelRuleError(f"{field}: required, the version to deploy (a hosted version number, ...)")
    return _text(str(value), field, 1, VERSION_MAX)


def check_version_label(label: Any, field: str = "version_label") -> str | None:
    if label is None:
        return None
    _text(label, field, 1, VERSION_LABEL_MAX)
    if label.isdigit():
        raise KeelRuleError(f"{field} {label!r}: must not be only digits (it would read as a version number)")
    return label


def check_content_type(value: Any, field: str = "content_type") -> str:
    _text(value, field, 1, CONTENT_TYPE_MAX)
    if "/" not in value or any(c.isspace() for c in value.split(";")[0]):
        raise KeelRuleError(f"{field} {value!r}: must be a MIME type such as application/json")
    return value


def check_validators(validators: Any, field: str = "validators") -> list[dict[str, Any]] | None:
    """[{type, content}] -> the API's [{'Type', 'Content'}] (JSON Schema content as the
    text to send), or None. JSON Schema content is checked by content.check_schema."""
    if validators is None:
        return None
    if len(validators) > VALIDATORS_MAX:
        raise KeelRuleError(f"{field}: {len(validators)} given, a profile takes at most {VALIDATORS_MAX}")
    checked = []
    for index, validator in enumerate(validators):
        where = f"{field}[{index}]"
        kind = str(validator.get("type") or "").upper()
        if kind not in VALIDATOR_TYPES:
            raise KeelRuleError(f"{where}.type: must be one of {', '.join(VALIDATOR_TYPES)}")
        content = validator.get("content")
        if kind == "LAMBDA" and (not isinstance(content, str) or not LAMBDA_ARN.match(content)):
            raise KeelRuleError(
                f"{where}.content: a LAMBDA validator's content is the function's ARN,"
                " arn:aws:lambda:<region>:<account>:function:NAME"
            )
        checked.append({"Type": kind, "Content": content})
    return checked
