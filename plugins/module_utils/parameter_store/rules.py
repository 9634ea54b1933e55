# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules for a parameter's value, type, tier, policies, data type, pattern and key.

check_static() needs only the task's input and runs before any AWS call.
check_against_current() needs what Parameter Store holds now (the parameter's type and
tier) and runs after the reads, before any write. Every message names the option (as
`value`, or `parameters.<relative name>.value` in a tree) and the rule, and never
contains a value: a value may be a secret.

Sources: the PutParameter API reference / botocore service model (limits, KeyId
pattern, tier and type rules, HierarchyTypeMismatchException) and the Parameter Store
user guide (AMI ID format, webhook integration namespace). moto 5.2.5 enforces none of
the tier, size, policy, pattern or KMS rules; they are ours.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError

if TYPE_CHECKING:  # for annotations only (some of these would import in a circle)
    from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.desired import DesiredParameter
    from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.read import CurrentParameter

TYPES = ("String", "StringList", "SecureString")
TIERS = ("Standard", "Advanced", "Intelligent-Tiering")
DATA_TYPES = ("text", "aws:ec2:image", "aws:ssm:integration")
# Bytes of UTF-8: 4 KB on Standard, 8 KB on Advanced (Intelligent-Tiering promotes to
# Advanced when a value needs it).
VALUE_LIMITS = {"Standard": 4096, "Advanced": 8192, "Intelligent-Tiering": 8192}
DESCRIPTION_MAX = 1024
ALLOWED_PATTERN_MAX = 1024
KEY_ID_MAX = 256
KEY_ID_PATTERN = re.compile(r"^[a-zA-Z0-9:/_-]+$")
AMI_ID = re.compile(r"^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
INTEGRATION_PREFIX = "/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/"


def value_size(text: str) -> int:
    return len(text.encode("utf-8"))


def _choice(value, choices, field):
    if value is not None and value not in choices:
        raise KeelRuleError(f"{field}: must be one of {', '.join(choices)}, got {value!r}")


def _size_limit(desired, tier):
    if desired.value is None:
        return
    size = value_size(desired.value)
    limit = VALUE_LIMITS[tier]
    if size > limit:
        hint = "; set tier: Advanced or Intelligent-Tiering" if limit < VALUE_LIMITS["Advanced"] else ""
        raise KeelRuleError(
            f"{desired.field('value')}: {size} bytes, more than the {limit} bytes "
            f"{'an' if tier[0] in 'AI' else 'a'} {tier} parameter holds{hint}"
        )


def _data_type_combination(desired, type_):
    field = desired.field("data_type")
    if desired.data_type == "aws:ec2:image" and type_ not in (None, "String"):
        raise KeelRuleError(f"{field}: aws:ec2:image needs type String, got {type_}")
    if desired.data_type == "aws:ssm:integration" and type_ not in (None, "SecureString"):
        raise KeelRuleError(f"{field}: aws:ssm:integration needs type SecureString, got {type_}")


def check_static(desired: DesiredParameter) -> None:
    """Every rule that the task's input alone decides."""
    field = desired.field
    _choice(desired.type, TYPES, field("type"))
    _choice(desired.tier, TIERS, field("tier"))
    _choice(desired.data_type, DATA_TYPES, field("data_type"))
    if desired.value is not None:
        # Without a tier the final one depends on Parameter Store; Advanced's 8 KB is the
        # most any parameter can hold, so anything larger fails now.
        _size_limit(desired, desired.tier or "Advanced")
    if desired.description is not None and len(desired.description) > DESCRIPTION_MAX:
        raise KeelRuleError(f"{field('description')}: longer than {DESCRIPTION_MAX} characters")
    for key_field, key_id in ((field("key_id"), desired.key_id), ("key_id", desired.default_key_id)):
        if key_id is None:
            continue
        if not 1 <= len(key_id) <= KEY_ID_MAX or not KEY_ID_PATTERN.match(key_id):
            raise KeelRuleError(
                f"{key_field}: {key_id!r} is not a KMS key ID, key ARN, alias name or alias ARN "
                f"(1-{KEY_ID_MAX} characters of letters, digits and : / _ -)"
            )
    if desired.key_id is not None and desired.type not in (None, "SecureString"):
        raise KeelRuleError(f"{field('key_id')}: only applies to SecureString parameters, type is {desired.type}")
    if desired.policies and desired.tier == "Standard":
        raise KeelRuleError(
            f"{field('policies')}: Standard parameters take no policies; set tier: Advanced or Intelligent-Tiering"
        )
    if desired.allowed_pattern is not None:
        pattern_field = field("allowed_pattern")
        if len(desired.allowed_pattern) > ALLOWED_PATTERN_MAX:
            raise KeelRuleError(f"{pattern_field}: longer than {ALLOWED_PATTERN_MAX} characters")
        try:
            compiled = re.compile(desired.allowed_pattern)
        except re.error as exc:
            raise KeelRuleError(f"{pattern_field}: not a valid regular expression ({exc})") from None
        if desired.value is not None and not compiled.search(desired.value):
            raise KeelRuleError(f"{field('value')}: does not match allowed_pattern {desired.allowed_pattern!r}")
    _data_type_combination(desired, desired.type)
    if desired.data_type == "aws:ec2:image" and desired.value is not None and not AMI_ID.match(desired.value):
        raise KeelRuleError(f"{field('value')}: data_type aws:ec2:image needs an AMI ID (ami- and 8 or 17 hex digits)")
    if desired.data_type == "aws:ssm:integration" and not desired.name.startswith(INTEGRATION_PREFIX):
        raise KeelRuleError(
            f"{field('data_type')}: aws:ssm:integration parameters must be named under {INTEGRATION_PREFIX}"
        )


def check_against_current(desired: DesiredParameter, current: CurrentParameter | None) -> None:
    """Rules that depend on the parameter as Parameter Store holds it (None: absent)."""
    field = desired.field
    if current is None and desired.value is None:
        raise KeelRuleError(f"{field('value')}: required to create {desired.name}, which does not exist")
    if current is not None and desired.type is not None and desired.type != current.type:
        raise KeelRuleError(
            f"{field('type')}: {desired.name} is a {current.type} parameter and Parameter Store cannot change "
            f"a parameter's type (HierarchyTypeMismatchException); delete it (state: absent) and create it "
            f"again as {desired.type}"
        )
    type_ = desired.effective_type(current)
    if desired.key_id is not None and type_ != "SecureString":
        raise KeelRuleError(f"{field('key_id')}: only applies to SecureString parameters, type is {type_}")
    _data_type_combination(desired, type_)
    current_tier = current.tier if current is not None and current.metadata_known else None
    if desired.tier == "Standard" and current_tier == "Advanced":
        raise KeelRuleError(
            f"{field('tier')}: {desired.name} is an Advanced parameter and Parameter Store cannot move it back "
            "to Standard; delete it and create it again to change tier"
        )
    tier = desired.tier or current_tier or "Standard"
    _size_limit(desired, tier)
    if desired.policies and tier == "Standard":
        raise KeelRuleError(
            f"{field('policies')}: {desired.name} would be a Standard parameter, which takes no policies; "
            "set tier: Advanced or Intelligent-Tiering"
        )


def check_kept_value(desired: DesiredParameter, value: str) -> None:
    """A re-written current value must match a newly set allowed_pattern too."""
    if desired.allowed_pattern is not None and not re.search(desired.allowed_pattern, value):
        raise KeelRuleError(
            f"{desired.field('allowed_pattern')}: the current value of {desired.name} does not match it; "
            "give a matching value"
        )
