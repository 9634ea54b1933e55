# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The desired state of one parameter, built from a task's options and checked.

keel.ssm.parameter builds one from its options, keel.ssm.parameter_tree one per entry
of its tree (see tree.py); both go through build_desired() so the same option
means the same thing in both modules. An option left unset (None) is not managed: an
existing parameter keeps what it has.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.keel.ssm.plugins.module_utils.aws.tagging import check_tags
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.names import (
    check_labels,
    check_parameter_name,
)
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.policies import parse_policies
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.rules import (
    VALUE_LIMITS,
    check_static,
    value_size,
)

if TYPE_CHECKING:  # for annotations only (some of these would import in a circle)
    from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.read import CurrentParameter

SPEC_OPTIONS = (
    "value",
    "type",
    "description",
    "key_id",
    "tier",
    "policies",
    "allowed_pattern",
    "data_type",
    "tags",
    "purge_tags",
    "labels",
    "purge_labels",
)
TEXT_OPTIONS = ("type", "description", "key_id", "tier", "allowed_pattern", "data_type")
# Options of parameter_tree that give every entry a default.
TREE_DEFAULTS = ("type", "key_id", "tier")


class DesiredParameter:
    """One parameter as the task wants it. `where` locates it in messages: '' for the
    parameter module (options are named bare), 'parameters.<relative name>' in a tree."""

    def __init__(self, name: str, where: str = "") -> None:
        self.name = name
        self.where = where
        self.value = None  # text as Parameter Store keeps it (a StringList joined by ',')
        self.is_list = False
        self.type = None
        self.description = None
        self.key_id = None
        self.default_key_id = None  # the tree's key_id, used when this ends up SecureString
        self.tier = None
        self.policies = None
        self.allowed_pattern = None
        self.data_type = None
        self.tags = None
        self.purge_tags = True
        self.labels = None
        self.purge_labels = False

    def field(self, option: str) -> str:
        return f"{self.where}.{option}" if self.where else option

    @property
    def name_field(self) -> str:
        return self.where or "name"

    def effective_type(self, current: CurrentParameter | None) -> str:
        """The type the parameter has after the task: as given, else as it is, else the
        default for new parameters (String; StringList for a list value)."""
        if self.type:
            return self.type
        if current is not None:
            return current.type
        return "StringList" if self.is_list else "String"

    def effective_key_id(self, current: CurrentParameter | None) -> str | None:
        if self.effective_type(current) != "SecureString":
            return None
        return self.key_id or self.default_key_id

    def needs_metadata(self, current: CurrentParameter | None) -> bool:
        """True when comparing with `current` needs what only DescribeParameters tells
        (description, key, tier, policies, pattern)."""
        managed = (self.description, self.key_id, self.tier, self.policies, self.allowed_pattern)
        return (
            any(value is not None for value in managed)
            or self.effective_key_id(current) is not None
            # Over 4 KB only fits if the parameter already is Advanced.
            or (self.value is not None and self.tier is None and value_size(self.value) > VALUE_LIMITS["Standard"])
        )


def _scalar_text(value, field):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise KeelRuleError(
        f"{field}: must be a string, number or boolean, or a list of them for a StringList "
        f"(got a {type(value).__name__})"
    )


def value_text(value: Any, field: str = "value") -> tuple[str | None, bool]:
    """A task's value as Parameter Store text, and whether it was a list (a StringList)."""
    if value is None:
        return None, False
    if isinstance(value, (list, tuple)):
        if not value:
            raise KeelRuleError(f"{field}: an empty list is an empty value; a value needs at least 1 character")
        items = []
        for index, item in enumerate(value):
            text = _scalar_text(item, f"{field}[{index}]")
            if text == "":
                raise KeelRuleError(f"{field}[{index}]: StringList elements must not be empty")
            if "," in text:
                raise KeelRuleError(
                    f"{field}[{index}]: StringList elements must not contain commas (Parameter Store splits on ',')"
                )
            items.append(text)
        return ",".join(items), True
    text = _scalar_text(value, field)
    if text == "":
        raise KeelRuleError(f"{field}: must not be empty (Parameter Store values have at least 1 character)")
    return text, False


def _text_option(options, option, field):
    value = options.get(option)
    if value is not None and not isinstance(value, str):
        raise KeelRuleError(f"{field}: must be a string")
    return value


def _bool_option(options, option, default, field):
    value = options.get(option)
    if value is None:
        return default
    try:
        return boolean(value)
    except TypeError:
        raise KeelRuleError(f"{field}: must be a boolean") from None


def build_desired(
    name: str, options: Mapping[str, Any], where: str = "", defaults: Mapping[str, Any] | None = None
) -> DesiredParameter:
    """Check and normalize one parameter's options; raises KeelRuleError."""
    defaults = defaults or {}
    desired = DesiredParameter(name, where)
    check_parameter_name(name, field=desired.name_field, for_write=True)
    unknown = sorted(set(options) - set(SPEC_OPTIONS))
    if unknown:
        raise KeelRuleError(
            f"{desired.where or 'options'}: unknown option(s) {', '.join(unknown)}; allowed: {', '.join(SPEC_OPTIONS)}"
        )
    field = desired.field
    desired.value, desired.is_list = value_text(options.get("value"), field("value"))
    for option in TEXT_OPTIONS:
        setattr(desired, option, _text_option(options, option, field(option)))
    if desired.is_list:
        if desired.type not in (None, "StringList"):
            raise KeelRuleError(f"{field('type')}: a list value is a StringList, but type is {desired.type}")
        desired.type = "StringList"
    elif desired.type is None:
        desired.type = defaults.get("type")
    if desired.tier is None:
        desired.tier = defaults.get("tier")
    desired.default_key_id = defaults.get("key_id")
    desired.policies = parse_policies(options.get("policies"), field("policies"))
    desired.tags = check_tags(options.get("tags"), field("tags"))
    desired.purge_tags = _bool_option(options, "purge_tags", True, field("purge_tags"))
    labels = options.get("labels")
    if labels is not None:
        if not isinstance(labels, list):
            raise KeelRuleError(f"{field('labels')}: must be a list of labels")
        desired.labels = list(dict.fromkeys(check_labels(labels, field=field("labels"))))
    desired.purge_labels = _bool_option(options, "purge_labels", False, field("purge_labels"))
    check_static(desired)
    return desired
