# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SSM documents: naming rules, loading and validating content, and the calls that
read and write documents.

Everything in the first half runs before any AWS call and raises KeelRuleError
with a message that names the field and the rule. The second half wraps the SSM API
(boto3 client from connection.aws_client) and raises errors.KeelAWSError.
"""

from __future__ import annotations

import json
import os
import re
import time
from typing import Any, Callable

from ansible_collections.keel.ssm.plugins.module_utils.errors import (
    KeelAWSError,
    KeelRuleError,
    aws_call,
)

# Service model patterns (botocore's Stubber does not check these; AWS does).
DOCUMENT_NAME = re.compile(r"^[a-zA-Z0-9_\-.]{3,128}$")
VERSION_NAME = re.compile(r"^[a-zA-Z0-9_\-.]{1,128}$")
TARGET_TYPE = re.compile(r"^/[a-zA-Z0-9_.\-:/]*$")
TARGET_TYPE_MAX = 200
# CreateDocument: "You can't use the following strings as document name prefixes:
# aws, amazon, amzn, AWSEC2, AWSConfigRemediation, AWSSupport" (checked in any case).
RESERVED_NAME_PREFIXES = ("aws", "amazon", "amzn")
CONTENT_MAX_BYTES = 64 * 1024  # "The content of the document must not exceed 64KB."
DOCUMENT_TYPES = (
    "Command",
    "Policy",
    "Automation",
    "Session",
    "Package",
    "ApplicationConfiguration",
    "ApplicationConfigurationSchema",
    "DeploymentStrategy",
    "ChangeCalendar",
    "Automation.ChangeTemplate",
    "ProblemAnalysis",
    "ProblemAnalysisTemplate",
    "CloudFormation",
    "ConformancePackTemplate",
    "QuickSetup",
    "ManualApprovalPolicy",
    "AutoApprovalPolicy",
)
DOCUMENT_FORMATS = ("YAML", "JSON", "TEXT")
SCHEMA_VERSION = re.compile(r"^[0-9]+\.[0-9]+$")
# Schema versions per document type, from the SSM document syntax reference.
SCHEMA_VERSIONS = {"Command": ("1.2", "2.0", "2.2"), "Automation": ("0.3",)}
STEP_SCHEMAS = ("0.3", "2.0", "2.2")  # schemas whose work is a list of mainSteps
PARAMETER_TYPES = ("String", "StringList", "Integer", "Boolean", "MapList", "StringMap")
# Our rule (AWS's own documents follow it, and ENV_VAR interpolation exports the name
# as the environment variable SSM_<name>): letters, digits and underscores.
PARAMETER_NAME = re.compile(r"^[A-Za-z0-9_]+$")
INTERPOLATION_TYPES = ("ENV_VAR",)
DISPLAY_TYPES = ("textfield", "textarea")
STEP_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")
DEFAULT_VERSION_LATEST = "latest"
# Documents are usable once Active; creation and updates pass through these states.
PENDING_STATUSES = ("Creating", "Updating")
WAIT_SECONDS = 60
WAIT_INTERVAL = 2


# -- names and versions --------------------------------------------------------------
def check_document_name(name: Any, field: str = "name") -> str:
    if not isinstance(name, str) or not DOCUMENT_NAME.match(name):
        raise KeelRuleError(
            f"{field} {name!r}: must be 3 to 128 characters of letters, digits and _ - . (CreateDocument rule)"
        )
    for prefix in RESERVED_NAME_PREFIXES:
        if name.lower().startswith(prefix):
            raise KeelRuleError(f"{field} {name!r}: the prefix {prefix!r} (any case) is reserved by AWS")
    return name


def check_version_name(version_name: Any, field: str = "version_name") -> str | None:
    if version_name is None:
        return None
    if not isinstance(version_name, str) or not VERSION_NAME.match(version_name):
        raise KeelRuleError(f"{field} {version_name!r}: must be 1 to 128 characters of letters, digits and _ - .")
    return version_name


def check_target_type(target_type: Any, field: str = "target_type") -> str | None:
    if target_type is None:
        return None
    if not isinstance(target_type, str) or len(target_type) > TARGET_TYPE_MAX or not TARGET_TYPE.match(target_type):
        raise KeelRuleError(
            f"{field} {target_type!r}: must start with '/' and hold only letters, digits and _ . - : /"
            f" (at most {TARGET_TYPE_MAX} characters), e.g. '/AWS::EC2::Instance' or '/'"
        )
    return target_type


def check_default_version(value: Any, field: str = "default_version") -> str | int | None:
    """'latest' or a positive version number; returns 'latest' or an int."""
    if value is None:
        return None
    text = str(value).strip()
    if text.lower() == DEFAULT_VERSION_LATEST:
        return DEFAULT_VERSION_LATEST
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise KeelRuleError(f"{field} {value!r}: must be 'latest' or a version number (1, 2, ...)")


# -- content ---------------------------------------------------------------------------
def _yaml():
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
        raise KeelRuleError("content: YAML content needs the PyYAML library on the host running the module") from None
    return yaml


def detect_format(text: str, path: str | None = None) -> str:
    """JSON when the file name says so or the text is a JSON object, else YAML."""
    if path:
        extension = os.path.splitext(path)[1].lower()
        if extension == ".json":
            return "JSON"
        if extension in (".yml", ".yaml"):
            return "YAML"
    try:
        return "JSON" if isinstance(json.loads(text), dict) else "YAML"
    except ValueError:
        return "YAML"


def parse_content(text: str, document_format: str, field: str = "content") -> Any:
    """Parse document text in its format; TEXT documents stay text."""
    if document_format == "TEXT":
        return text
    if document_format == "JSON":
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise KeelRuleError(f"{field}: not valid JSON: {exc}") from None
    else:
        yaml = _yaml()
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise KeelRuleError(f"{field}: not valid YAML: {exc}") from None
    if not isinstance(parsed, dict):
        raise KeelRuleError(f"{field}: a {document_format} document must be a mapping at the top level")
    return parsed


def serialize_content(data: Any, document_format: str) -> str:
    if document_format == "JSON":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return _yaml().safe_dump(data, default_flow_style=False, sort_keys=False, allow_unicode=True, width=1000)


def load_content(
    path: str | None = None, content: Any = None, document_format: str | None = None
) -> tuple[str, Any, str]:
    """Desired document from a file or inline content.

    Returns (text, parsed, document_format): text is sent to AWS as-is (so comments and
    layout of a file survive), parsed is what idempotence compares."""
    if path is not None:
        field = f"path {path}"
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise KeelRuleError(f"path {path!r}: cannot read the document: {exc}") from None
        document_format = document_format or detect_format(text, path)
    elif isinstance(content, dict):
        field = "content"
        document_format = document_format or "YAML"
        if document_format == "TEXT":
            raise KeelRuleError("content: a mapping cannot be sent as a TEXT document; give a string")
        text = serialize_content(content, document_format)
    elif isinstance(content, str):
        field = "content"
        document_format = document_format or detect_format(content)
        text = content
    else:
        raise KeelRuleError("content: must be a string (YAML or JSON) or a mapping")
    if not text.strip():
        raise KeelRuleError(f"{field}: the document is empty")
    size = len(text.encode("utf-8"))
    if size > CONTENT_MAX_BYTES:
        raise KeelRuleError(f"{field}: {size} bytes, a document may hold at most {CONTENT_MAX_BYTES} bytes (64 KB)")
    return text, parse_content(text, document_format, field), document_format


def _check_parameter(name, spec, field):
    if not isinstance(name, str) or not PARAMETER_NAME.match(name):
        raise KeelRuleError(f"{field}: parameter name {name!r} may only hold letters, digits and underscores")
    where = f"{field}.{name}"
    if not isinstance(spec, dict):
        raise KeelRuleError(f"{where}: a parameter definition must be a mapping")
    kind = spec.get("type")
    if kind is None:
        raise KeelRuleError(f"{where}.type: required (one of {', '.join(PARAMETER_TYPES)})")
    if kind not in PARAMETER_TYPES:
        raise KeelRuleError(f"{where}.type: {kind!r} is not one of {', '.join(PARAMETER_TYPES)}")
    for key in ("description", "allowedPattern"):
        if key in spec and not isinstance(spec[key], str):
            raise KeelRuleError(f"{where}.{key}: must be a string")
    if "allowedPattern" in spec:
        try:
            re.compile(spec["allowedPattern"])
        except re.error as exc:
            raise KeelRuleError(f"{where}.allowedPattern: not a valid regular expression: {exc}") from None
    if "interpolationType" in spec and spec["interpolationType"] not in INTERPOLATION_TYPES:
        raise KeelRuleError(
            f"{where}.interpolationType: {spec['interpolationType']!r} is not one of {', '.join(INTERPOLATION_TYPES)}"
        )
    if "displayType" in spec and spec["displayType"] not in DISPLAY_TYPES:
        raise KeelRuleError(f"{where}.displayType: {spec['displayType']!r} is not one of {', '.join(DISPLAY_TYPES)}")
    for key in ("minItems", "maxItems", "minChars", "maxChars"):
        if key in spec and (isinstance(spec[key], bool) or not isinstance(spec[key], int) or spec[key] < 0):
            raise KeelRuleError(f"{where}.{key}: must be a non-negative integer")
    allowed = spec.get("allowedValues")
    if allowed is not None and (not isinstance(allowed, list) or not allowed):
        raise KeelRuleError(f"{where}.allowedValues: must be a non-empty list")
    if "default" in spec:
        _check_default(spec["default"], kind, allowed, f"{where}.default")


def _check_default(value, kind, allowed, where):
    # A default may always be a Parameter Store reference such as "{{ ssm:/path }}".
    is_reference = isinstance(value, str) and value.strip().startswith("{{")
    expected = {
        "String": lambda v: isinstance(v, str),
        "StringList": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
        "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "Boolean": lambda v: isinstance(v, bool),
        "StringMap": lambda v: isinstance(v, dict),
        "MapList": lambda v: isinstance(v, list) and all(isinstance(i, dict) for i in v),
    }[kind]
    if not (is_reference or expected(value)):
        raise KeelRuleError(f"{where}: {value!r} is not a valid {kind} value")
    if allowed is not None and kind == "String" and not is_reference and value not in allowed:
        raise KeelRuleError(f"{where}: {value!r} is not one of the parameter's allowedValues")


def _check_steps(steps, field="content.mainSteps"):
    if not isinstance(steps, list) or not steps:
        raise KeelRuleError(f"{field}: required, a non-empty list of steps")
    seen = set()
    for index, step in enumerate(steps):
        where = f"{field}[{index}]"
        if not isinstance(step, dict):
            raise KeelRuleError(f"{where}: a step must be a mapping with name and action")
        name = step.get("name")
        if not isinstance(name, str) or not name:
            raise KeelRuleError(f"{where}.name: required, a non-empty string")
        if not STEP_NAME.match(name):
            raise KeelRuleError(f"{where}.name {name!r}: only letters, digits and _ . - are allowed")
        if name in seen:
            raise KeelRuleError(f"{where}.name {name!r}: step names must be unique")
        seen.add(name)
        action = step.get("action")
        if not isinstance(action, str) or not action:
            raise KeelRuleError(f"{where}.action: required, e.g. aws:runShellScript")
        if not action.startswith("aws:"):
            raise KeelRuleError(f"{where}.action {action!r}: actions are named aws:<plugin>")
        if "inputs" in step and not isinstance(step["inputs"], dict):
            raise KeelRuleError(f"{where}.inputs: must be a mapping")


def validate_document(parsed: Any, document_type: str, document_format: str) -> None:
    """Check what AWS would otherwise reject after the fact. TEXT documents (change
    calendars) are opaque and only size-checked."""
    if document_format == "TEXT":
        return
    if "schemaVersion" not in parsed:
        raise KeelRuleError("content.schemaVersion: required (e.g. '2.2' for Command documents)")
    schema = parsed["schemaVersion"]
    if not isinstance(schema, str):
        raise KeelRuleError(f"content.schemaVersion: must be a string such as '2.2', got {schema!r} (quote it in YAML)")
    if not SCHEMA_VERSION.match(schema):
        raise KeelRuleError(f"content.schemaVersion {schema!r}: must look like MAJOR.MINOR, e.g. '2.2'")
    allowed = SCHEMA_VERSIONS.get(document_type)
    if allowed and schema not in allowed:
        raise KeelRuleError(
            f"content.schemaVersion {schema!r}: {document_type} documents use schema {', '.join(allowed)}"
        )
    if "description" in parsed and not isinstance(parsed["description"], str):
        raise KeelRuleError("content.description: must be a string")
    parameters = parsed.get("parameters")
    if parameters is not None:
        if not isinstance(parameters, dict):
            raise KeelRuleError("content.parameters: must be a mapping of parameter names to definitions")
        for name, spec in parameters.items():
            _check_parameter(name, spec, "content.parameters")
    if document_type in SCHEMA_VERSIONS:
        if schema in STEP_SCHEMAS:
            _check_steps(parsed.get("mainSteps"))
        elif schema == "1.2" and not isinstance(parsed.get("runtimeConfig"), dict):
            raise KeelRuleError("content.runtimeConfig: required for schema 1.2, a mapping of plugins")


def content_matches(current_text: str, current_format: str | None, desired_parsed: Any, desired_format: str) -> bool:
    """Idempotence: compare parsed content, so layout, key order or YAML vs JSON alone
    never create a version."""
    if desired_format == "TEXT" or current_format == "TEXT":
        return current_format == desired_format and current_text == desired_parsed
    try:
        current = parse_content(current_text, current_format or "JSON", field="current content")
    except KeelRuleError:
        return False
    return current == desired_parsed


# -- calls -------------------------------------------------------------------------------
def describe_document(client: Any, name: str, version: str | int | None = None) -> dict[str, Any] | None:
    """DocumentDescription of `version` ($LATEST, $DEFAULT or a number), or None when
    the document does not exist."""
    kwargs = {"Name": name}
    if version is not None:
        kwargs["DocumentVersion"] = str(version)
    with aws_call("DescribeDocument", name, absent=("InvalidDocument",)):
        return client.describe_document(**kwargs)["Document"]
    return None  # no such document


def get_document(client: Any, name: str, version: str | int = "$LATEST") -> dict[str, Any]:
    with aws_call("GetDocument", name):
        return client.get_document(Name=name, DocumentVersion=str(version))


# What to do about the write errors a user can fix (AWS's own messages do not say).
WRITE_ERROR_HINTS = {
    "DuplicateDocumentContent": (
        "the content is identical to an older version of the document, and AWS keeps one version per distinct"
        " content; to return to that version set default_version to its number, or change the content"
    ),
    "DuplicateDocumentVersionName": (
        "version_name {VersionName!r} is already used by another version of this document; version names must be"
        " unique per document"
    ),
}


def _write(call, operation, name, **kwargs):
    try:
        with aws_call(operation, name):
            return call(**kwargs)
    except KeelAWSError as error:
        hint = WRITE_ERROR_HINTS.get(error.code)
        if hint is None:
            raise
        message = f"{operation} {name}: " + hint.format(VersionName=kwargs.get("VersionName"))
        raise KeelAWSError("invalid", message, code=error.code, operation=operation) from None


def create_document(
    client: Any,
    name: str,
    text: str,
    document_type: str,
    document_format: str,
    target_type: str | None = None,
    version_name: str | None = None,
    tags: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    kwargs = {"Name": name, "Content": text, "DocumentType": document_type, "DocumentFormat": document_format}
    if target_type:
        kwargs["TargetType"] = target_type
    if version_name:
        kwargs["VersionName"] = version_name
    if tags:
        kwargs["Tags"] = tags
    return _write(client.create_document, "CreateDocument", name, **kwargs)["DocumentDescription"]


def update_document(
    client: Any,
    name: str,
    text: str,
    document_format: str,
    target_type: str | None = None,
    version_name: str | None = None,
) -> dict[str, Any]:
    """A new version from text, based on $LATEST (AWS requires the latest as base)."""
    kwargs = {"Name": name, "Content": text, "DocumentFormat": document_format, "DocumentVersion": "$LATEST"}
    if target_type:
        kwargs["TargetType"] = target_type
    if version_name:
        kwargs["VersionName"] = version_name
    return _write(client.update_document, "UpdateDocument", name, **kwargs)["DocumentDescription"]


def set_default_version(client: Any, name: str, version: str | int) -> dict[str, Any]:
    return _write(
        client.update_document_default_version,
        "UpdateDocumentDefaultVersion",
        name,
        Name=name,
        DocumentVersion=str(version),
    )["Description"]


def delete_document(client: Any, name: str) -> None:
    _write(client.delete_document, "DeleteDocument", name, Name=name)


def wait_until_active(
    client: Any,
    description: dict[str, Any],
    timeout: float = WAIT_SECONDS,
    interval: float = WAIT_INTERVAL,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Poll a freshly written version until AWS has validated it (Active) or refused it
    (Failed: StatusInformation says why). Returns the final description."""
    name, version = description["Name"], description.get("DocumentVersion")
    deadline = time.monotonic() + timeout
    while description.get("Status") in PENDING_STATUSES:
        if time.monotonic() >= deadline:
            raise KeelAWSError(
                "error",
                f"DescribeDocument {name}: version {version} still {description.get('Status')} after {timeout} s",
                operation="DescribeDocument",
            )
        sleep(interval)
        description = describe_document(client, name, version)
        if description is None:
            raise KeelAWSError(
                "missing", f"DescribeDocument {name}: version {version} disappeared", operation="DescribeDocument"
            )
    if description.get("Status") == "Failed":
        reason = description.get("StatusInformation") or "no reason given"
        raise KeelAWSError(
            "invalid", f"{name} version {version}: AWS refused the document: {reason}", operation="DescribeDocument"
        )
    return description
