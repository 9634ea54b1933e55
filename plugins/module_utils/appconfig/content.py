# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Configuration content: what is sent, how it is parsed by content type, how two
versions are compared, and the checks AppConfig would run at deployment time, run here
before anything is written:

- JSON Schema validators, evaluated as AppConfig does (draft-04), with the jsonschema
  library; a failure names the JSON path and the schema keyword, never the value;
- the AWS.AppConfig.FeatureFlags format (our reading of the type reference in the
  AppConfig user guide: keys, names, attribute constraints, values that match them).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ansible_collections.keel.ssm.plugins.module_utils.appconfig.rules import HOSTED_CONTENT_MAX
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError

JSON_TYPES = ("application/json", "text/json")
YAML_TYPES = ("application/x-yaml", "application/yaml", "text/yaml", "text/x-yaml")
DEFAULT_CONTENT_TYPE = "application/json"
DRAFT_04 = ("http://json-schema.org/draft-04/schema", "https://json-schema.org/draft-04/schema")
JSONSCHEMA_HINT = "pip install jsonschema, or on Debian/Ubuntu apt install python3-jsonschema"

FLAG_KEY = re.compile(r"^[a-z][a-zA-Z0-9_-]{0,63}$")
FLAG_NAME_MAX = 64
TEXT_MAX = 1024  # descriptions, string attribute values, patterns
ATTRIBUTES_MAX = 25
VARIANTS_MAX = 32
VARIANT_RULE_MAX = 16384
ENUM_MAX = 100
FLAGS_VERSION = "1"
FLAG_KEYS = {"name", "description", "_createdAt", "_updatedAt", "_deprecation", "attributes"}
SERVICE_STAMPS = ("_createdAt", "_updatedAt")  # added by AppConfig, never compared
CONSTRAINT_KEYS = {
    "number": {"type", "required", "minimum", "maximum"},
    "string": {"type", "required", "pattern", "enum"},
    "array": {"type", "required", "elements"},
    "boolean": {"type", "required"},
}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def kind_of(content_type: str | None) -> str:
    """'json', 'yaml', 'text' or 'binary' for a content type."""
    media = media_type(content_type)
    if media in JSON_TYPES or media.endswith("+json"):
        return "json"
    if media in YAML_TYPES or media.endswith("+yaml"):
        return "yaml"
    if media.startswith("text/"):
        return "text"
    return "binary"


def _yaml():
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
        raise KeelRuleError("content: YAML needs the PyYAML library on the host running the module") from None
    return yaml


def parse(data: bytes, content_type: str | None, field: str = "content") -> Any:
    """bytes -> parsed data (json/yaml), text (text/*) or the bytes themselves."""
    kind = kind_of(content_type)
    if kind == "binary":
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise KeelRuleError(f"{field}: not UTF-8 text, as content type {content_type} requires") from None
    if kind == "json":
        try:
            return json.loads(text)
        except ValueError as exc:
            detail = f"{exc.msg} at line {exc.lineno} column {exc.colno}" if hasattr(exc, "msg") else "not JSON"
            raise KeelRuleError(f"{field}: not valid JSON ({detail})") from None
    if kind == "yaml":
        yaml = _yaml()
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
            raise KeelRuleError(f"{field}: not valid YAML{where}") from None
    return text


def encode(content: Any, content_type: str) -> bytes:
    """The bytes to send for `content` (a string as given, or a mapping/list serialized
    for the content type)."""
    if isinstance(content, str):
        data = content.encode("utf-8")
    elif isinstance(content, (dict, list)):
        kind = kind_of(content_type)
        if kind == "json":
            data = (json.dumps(content, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        elif kind == "yaml":
            text = _yaml().safe_dump(content, default_flow_style=False, sort_keys=False, allow_unicode=True)
            data = text.encode("utf-8")
        else:
            raise KeelRuleError(
                f"content: a mapping or list needs a JSON or YAML content_type, not {content_type}; give a string"
            )
    else:
        raise KeelRuleError("content: must be a string, a mapping or a list")
    if not data:
        raise KeelRuleError("content: empty")
    if len(data) > HOSTED_CONTENT_MAX:
        raise KeelRuleError(
            f"content: {len(data)} bytes, the hosted configuration store takes at most {HOSTED_CONTENT_MAX} (1 MB)"
        )
    return data


def normalized(parsed: Any, profile_type: str | None = None) -> Any:
    """What idempotence compares: feature flags without the stamps AppConfig adds."""
    if profile_type != "AWS.AppConfig.FeatureFlags" or not isinstance(parsed, dict):
        return parsed
    result = dict(parsed)
    for section in ("flags", "values"):
        entries = parsed.get(section)
        if isinstance(entries, dict):
            result[section] = {
                key: {k: v for k, v in entry.items() if k not in SERVICE_STAMPS} if isinstance(entry, dict) else entry
                for key, entry in entries.items()
            }
    return result


def same_content(
    current: tuple[bytes, str | None], desired: tuple[bytes, str | None], profile_type: str | None = None
) -> bool:
    """current/desired: (bytes, content_type). Parsed comparison for JSON and YAML, so
    layout and key order alone never make a new version."""
    (current_data, current_type), (desired_data, desired_type) = current, desired
    if media_type(current_type) != media_type(desired_type):
        return False
    if kind_of(desired_type) in ("json", "yaml"):
        try:
            before = parse(current_data, current_type, field="current content")
        except KeelRuleError:
            return False
        return normalized(before, profile_type) == normalized(parse(desired_data, desired_type), profile_type)
    return current_data == desired_data


# -- JSON Schema validators ----------------------------------------------------------------
def _draft4():
    try:
        from jsonschema import Draft4Validator
    except ImportError:
        raise KeelRuleError(
            f"JSON Schema validators are checked before anything is sent, which needs the jsonschema library on"
            f" the host running the module ({JSONSCHEMA_HINT})"
        ) from None
    return Draft4Validator


def _path(field, parts):
    text = field
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def load_schema(content: Any, field: str) -> tuple[str, dict[str, Any]]:
    """A JSON_SCHEMA validator's content (text or mapping) -> (text to send, schema)."""
    if isinstance(content, dict):
        text = json.dumps(content, indent=2, sort_keys=True)
        schema = content
    elif isinstance(content, str):
        text = content
        try:
            schema = json.loads(content)
        except ValueError as exc:
            raise KeelRuleError(f"{field}: not valid JSON ({getattr(exc, 'msg', exc)})") from None
    else:
        raise KeelRuleError(f"{field}: a JSON_SCHEMA validator's content is a JSON Schema (text or mapping)")
    if not isinstance(schema, dict):
        raise KeelRuleError(f"{field}: a JSON Schema must be an object")
    declared = schema.get("$schema")
    if declared is not None and str(declared).rstrip("#") not in DRAFT_04:
        raise KeelRuleError(
            f"{field}.$schema {declared!r}: AppConfig evaluates JSON Schema draft-04; declare"
            " http://json-schema.org/draft-04/schema# or leave $schema out"
        )
    validator = _draft4()
    from jsonschema.exceptions import SchemaError  # importable once _draft4 was

    try:
        validator.check_schema(schema)
    except SchemaError as exc:
        raise KeelRuleError(
            f"{_path(field, exc.absolute_path)}: not a valid draft-04 schema ('{exc.validator}' rule)"
        ) from None
    if len(text) > 32768:
        raise KeelRuleError(f"{field}: {len(text)} characters, a validator holds at most 32768")
    return text, schema


def _describe(error):
    """A schema violation as 'rule', never quoting the value that broke it."""
    keyword, expected = error.validator, error.validator_value
    if keyword == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        missing = [name for name in expected if name not in present]
        return f"required property {', '.join(map(repr, missing))} is missing"
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
        extra = sorted(k for k in error.instance if k not in allowed and not any(p.search(k) for p in patterns))
        return f"property {', '.join(map(repr, extra))} is not allowed"
    if keyword == "type":
        return f"must be of type {expected}"
    if keyword == "enum":
        return f"must be one of {json.dumps(expected)[:200]}"
    if keyword in ("minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern", "multipleOf"):
        return f"breaks {keyword} {expected!r}"
    return f"breaks the schema's {keyword!r} rule"


def validate_against(schema: dict[str, Any], instance: Any, field: str, source: str) -> None:
    """Raise KeelRuleError for the first violation (ordered by path), naming the
    path, the rule and which validator said so."""
    errors = sorted(_draft4()(schema).iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise KeelRuleError(f"{_path(field, first.absolute_path)}: {_describe(first)}, per {source}{more}")


# -- AWS.AppConfig.FeatureFlags ----------------------------------------------------------------
def _object(value, where):
    if not isinstance(value, dict):
        raise KeelRuleError(f"{where}: must be an object")
    return value


def _only(entry, allowed, where):
    extra = sorted(set(entry) - set(allowed))
    if extra:
        raise KeelRuleError(
            f"{where}: unknown key {', '.join(map(repr, extra))} (allowed: {', '.join(sorted(allowed))})"
        )


def _key(key, where):
    if not isinstance(key, str) or not FLAG_KEY.match(key):
        raise KeelRuleError(
            f"{where} {key!r}: keys start with a lowercase letter, then up to 63 letters, digits, '_' or '-'"
        )


def _text(value, where, maximum=TEXT_MAX):
    if not isinstance(value, str) or len(value) > maximum:
        raise KeelRuleError(f"{where}: must be a string of at most {maximum} characters")


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_constraints(constraints, where, elements=False):
    _object(constraints, where)
    kind = constraints.get("type")
    kinds = ("number", "string") if elements else tuple(CONSTRAINT_KEYS)
    if kind not in kinds:
        raise KeelRuleError(f"{where}.type: must be one of {', '.join(kinds)}")
    _only(constraints, CONSTRAINT_KEYS[kind], where)
    if "required" in constraints and not isinstance(constraints["required"], bool):
        raise KeelRuleError(f"{where}.required: must be true or false")
    for bound in ("minimum", "maximum"):
        if bound in constraints and (not isinstance(constraints[bound], int) or isinstance(constraints[bound], bool)):
            raise KeelRuleError(f"{where}.{bound}: must be an integer")
    if "pattern" in constraints and "enum" in constraints:
        raise KeelRuleError(f"{where}: pattern and enum exclude each other")
    if "pattern" in constraints:
        _text(constraints["pattern"], f"{where}.pattern")
        try:
            re.compile(constraints["pattern"])
        except re.error as exc:
            raise KeelRuleError(f"{where}.pattern: not a valid regular expression ({exc})") from None
    if "enum" in constraints:
        enum = constraints["enum"]
        if not isinstance(enum, list) or not enum or len(enum) > ENUM_MAX:
            raise KeelRuleError(f"{where}.enum: must list 1 to {ENUM_MAX} values")
        for index, item in enumerate(enum):
            if not (isinstance(item, int) and not isinstance(item, bool)):
                _text(item, f"{where}.enum[{index}]")
    if kind == "array" and "elements" in constraints:
        _check_constraints(constraints["elements"], f"{where}.elements", elements=True)


def _check_value(value, constraints, where):
    """An attribute value: its shape (string, number, boolean, list of one of those) and
    its declared constraints."""
    if isinstance(value, list):
        if not (all(isinstance(v, str) for v in value) or all(_is_number(v) for v in value)):
            raise KeelRuleError(f"{where}: a list value holds only strings or only numbers")
        for index, item in enumerate(value):
            if isinstance(item, str):
                _text(item, f"{where}[{index}]")
    elif isinstance(value, str):
        _text(value, where)
    elif not (_is_number(value) or isinstance(value, bool)):
        raise KeelRuleError(f"{where}: must be a string, number, boolean or list")
    if not constraints:
        return
    kind = constraints["type"]
    matches = {
        "number": _is_number(value),
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "array": isinstance(value, list),
    }[kind]
    if not matches:
        raise KeelRuleError(f"{where}: must be of type {kind}, as its attribute's constraints say")
    if kind == "array":
        element = constraints.get("elements")
        for index, item in enumerate(value if element else ()):
            _check_value(item, element, f"{where}[{index}]")
        return
    if "minimum" in constraints and value < constraints["minimum"]:
        raise KeelRuleError(f"{where}: below the attribute's minimum {constraints['minimum']}")
    if "maximum" in constraints and value > constraints["maximum"]:
        raise KeelRuleError(f"{where}: above the attribute's maximum {constraints['maximum']}")
    if "pattern" in constraints and not re.search(constraints["pattern"], value):
        raise KeelRuleError(f"{where}: does not match the attribute's pattern {constraints['pattern']!r}")
    if "enum" in constraints and value not in constraints["enum"]:
        raise KeelRuleError(f"{where}: not one of the attribute's enum values")


def _check_flag(key, flag, where):
    _only(_object(flag, where), FLAG_KEYS, where)
    name = flag.get("name", "-")
    if not isinstance(name, str) or not 1 <= len(name) <= FLAG_NAME_MAX or "\n" in name:
        raise KeelRuleError(f"{where}.name: 1 to {FLAG_NAME_MAX} characters on one line")
    if "description" in flag:
        _text(flag["description"], f"{where}.description")
    if "_deprecation" in flag:
        deprecation = _object(flag["_deprecation"], f"{where}._deprecation")
        _only(deprecation, {"status", "date"}, f"{where}._deprecation")
        if deprecation.get("status") not in (None, "planned"):
            raise KeelRuleError(f"{where}._deprecation.status: the only status is 'planned'")
        if "date" in deprecation and not (isinstance(deprecation["date"], str) and DATE.match(deprecation["date"])):
            raise KeelRuleError(f"{where}._deprecation.date: must be a date, YYYY-MM-DD")
    attributes = _object(flag.get("attributes", {}), f"{where}.attributes")
    if len(attributes) > ATTRIBUTES_MAX:
        raise KeelRuleError(f"{where}.attributes: {len(attributes)} given, a flag takes at most {ATTRIBUTES_MAX}")
    for name, attribute in attributes.items():
        here = f"{where}.attributes.{name}"
        _key(name, f"{where}.attributes key")
        _only(_object(attribute, here), {"description", "constraints"}, here)
        if "description" in attribute:
            _text(attribute["description"], f"{here}.description")
        if "constraints" in attribute:
            _check_constraints(attribute["constraints"], f"{here}.constraints")


def _check_flag_value(key, entry, flag, where):
    _object(entry, where)
    if "enabled" in entry and not isinstance(entry["enabled"], bool):
        raise KeelRuleError(f"{where}.enabled: must be true or false")
    declared = flag.get("attributes") or {}
    for name, value in entry.items():
        if name in ("enabled", *SERVICE_STAMPS):
            continue
        if name == "_variants":
            _check_variants(value, declared, f"{where}._variants")
            continue
        _key(name, f"{where} key")
        if name not in declared:
            raise KeelRuleError(f"{where}.{name}: flags.{key}.attributes declares no attribute {name!r}")
        _check_value(value, declared[name].get("constraints"), f"{where}.{name}")
    if entry.get("enabled"):
        for name, attribute in declared.items():
            if (attribute.get("constraints") or {}).get("required") and name not in entry:
                raise KeelRuleError(f"{where}.{name}: required by flags.{key}.attributes.{name}.constraints")


def _check_variants(variants, declared, where):
    if not isinstance(variants, list) or len(variants) > VARIANTS_MAX:
        raise KeelRuleError(f"{where}: must be a list of at most {VARIANTS_MAX} variants")
    for index, variant in enumerate(variants):
        here = f"{where}[{index}]"
        _only(_object(variant, here), {"name", "enabled", "rule", "attributeValues"}, here)
        if not isinstance(variant.get("name"), str) or not 1 <= len(variant["name"]) <= FLAG_NAME_MAX:
            raise KeelRuleError(f"{here}.name: required, 1 to {FLAG_NAME_MAX} characters")
        if not isinstance(variant.get("enabled"), bool):
            raise KeelRuleError(f"{here}.enabled: required, true or false")
        if "rule" in variant:
            _text(variant["rule"], f"{here}.rule", VARIANT_RULE_MAX)
        for name, value in _object(variant.get("attributeValues", {}), f"{here}.attributeValues").items():
            _key(name, f"{here}.attributeValues key")
            if name not in declared:
                raise KeelRuleError(f"{here}.attributeValues.{name}: the flag declares no attribute {name!r}")
            _check_value(value, declared[name].get("constraints"), f"{here}.attributeValues.{name}")


def check_feature_flags(document: Any, field: str = "content") -> dict[str, Any]:
    """Raise KeelRuleError for the first thing AppConfig's feature-flags format
    refuses; returns the document."""
    _object(document, field)
    _only(document, {"version", "flags", "values"}, field)
    if document.get("version") != FLAGS_VERSION:
        raise KeelRuleError(f'{field}.version: required, the string "{FLAGS_VERSION}"')
    flags = _object(document.get("flags", {}), f"{field}.flags")
    for key, flag in flags.items():
        _key(key, f"{field}.flags key")
        _check_flag(key, flag, f"{field}.flags.{key}")
    for key, entry in _object(document.get("values", {}), f"{field}.values").items():
        _key(key, f"{field}.values key")
        if key not in flags:
            raise KeelRuleError(f"{field}.values.{key}: no flag {key!r} in {field}.flags")
        _check_flag_value(key, entry, flags[key], f"{field}.values.{key}")
    return document
