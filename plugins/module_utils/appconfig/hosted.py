# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hosted configuration versions: the desired content, checked like AppConfig checks it
at deployment time, and a new version only when it differs from the latest one."""

from __future__ import annotations

from typing import Any

from ansible_collections.keel.ssm.plugins.module_utils.appconfig import api
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.content import (
    check_feature_flags,
    encode,
    kind_of,
    load_schema,
    parse,
    same_content,
    validate_against,
)
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.rules import (
    FEATURE_FLAGS,
    check_content_type,
    check_description,
    check_version_label,
)
from ansible_collections.keel.ssm.plugins.module_utils.diff import diff_entry, render_text
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError


class DesiredContent:
    """A hosted version to be: bytes, content type, parsed data, label, description."""

    def __init__(
        self, content: Any, content_type: str, version_label: str | None = None, description: str | None = None
    ) -> None:
        self.content_type = check_content_type(content_type)
        self.version_label = check_version_label(version_label)
        self.description = check_description(description, "version_description", ascii_only=True)
        self.data = encode(content, self.content_type)
        self.parsed = parse(self.data, self.content_type)

    def check_format(self, profile_type: str | None) -> None:
        """The feature-flags format, for such profiles."""
        if profile_type == FEATURE_FLAGS:
            if kind_of(self.content_type) != "json":
                raise KeelRuleError(f"content_type: {FEATURE_FLAGS} content is JSON (application/json)")
            check_feature_flags(self.parsed)

    def check_validators(self, validators: list[dict[str, Any]] | None, source: str) -> None:
        """Every JSON Schema validator; `source` says where they come from, for the message.
        (A Lambda validator runs in AWS, at deployment time.)"""
        for index, validator in enumerate(validators or []):
            if validator["Type"] != "JSON_SCHEMA":
                continue
            field = f"validators[{index}]"
            _text, schema = load_schema(validator["Content"], f"{field}.content")
            if kind_of(self.content_type) not in ("json", "yaml"):
                raise KeelRuleError(f"content_type: {field} is a JSON Schema, so the content must be JSON or YAML")
            validate_against(schema, self.parsed, "content", f"{field} ({source})")


def latest_version(client: Any, application_id: str, profile_id: str) -> dict[str, Any] | None:
    """The summary of the highest-numbered hosted version, or None."""
    items = api.list_all(
        client,
        "ListHostedConfigurationVersions",
        f"profile {profile_id}",
        ApplicationId=application_id,
        ConfigurationProfileId=profile_id,
    )
    return max(items, key=lambda item: item["VersionNumber"], default=None)


def read_version(client: Any, application_id: str, profile_id: str, number: int) -> dict[str, Any]:
    response = api.call(
        client,
        "GetHostedConfigurationVersion",
        f"profile {profile_id} version {number}",
        ApplicationId=application_id,
        ConfigurationProfileId=profile_id,
        VersionNumber=number,
    )
    body = response.get("Content")
    response["Content"] = body.read() if hasattr(body, "read") else (body or b"")
    return response


def ensure_version(
    module: Any,
    client: Any,
    application_id: str,
    profile_id: str | None,
    desired: DesiredContent,
    profile_type: str | None,
) -> tuple[bool, dict[str, Any], dict[str, Any] | None]:
    """Create a hosted version when `desired` differs from the latest one. Returns
    (changed, result fields, diff entry or None)."""
    if desired.version_label is not None:
        api.require_support(client, "CreateHostedConfigurationVersion", "VersionLabel", "version_label")
    latest = current = None
    if profile_id is not None:
        latest = latest_version(client, application_id, profile_id)
    if latest is not None:
        current = read_version(client, application_id, profile_id, latest["VersionNumber"])
        unchanged = same_content(
            (current["Content"], current.get("ContentType")), (desired.data, desired.content_type), profile_type
        )
        if unchanged:
            fields = {
                "version_number": latest["VersionNumber"],
                "content_type": current.get("ContentType"),
                "version_label": current.get("VersionLabel"),
            }
            if desired.version_label and desired.version_label != current.get("VersionLabel"):
                module.warn(
                    f"version_label {desired.version_label!r} was not applied: the content is unchanged and AppConfig"
                    f" only labels new versions (version {latest['VersionNumber']} keeps its label)"
                )
            return False, fields, None
    number = (latest["VersionNumber"] + 1) if latest else 1
    if not module.check_mode:
        request = {"Content": desired.data, "ContentType": desired.content_type}
        if latest is not None:
            request["LatestVersionNumber"] = latest["VersionNumber"]  # AppConfig refuses it if another writer won
        if desired.version_label is not None:
            request["VersionLabel"] = desired.version_label
        if desired.description is not None:
            request["Description"] = desired.description
        created = api.call(
            client,
            "CreateHostedConfigurationVersion",
            f"profile {profile_id}",
            ApplicationId=application_id,
            ConfigurationProfileId=profile_id,
            **request,
        )
        number = created["VersionNumber"]
    fields = {"version_number": number, "content_type": desired.content_type, "version_label": desired.version_label}
    before = "" if current is None else _text(current["Content"], current.get("ContentType"))
    diff = diff_entry(
        before,
        _text(desired.data, desired.content_type),
        before_header=f"version {latest['VersionNumber']}" if latest else "no hosted version",
        after_header=f"version {number}" + (" (predicted)" if module.check_mode else ""),
    )
    return True, fields, diff


def _text(data, content_type):
    try:
        parsed = parse(data, content_type, field="content")
    except KeelRuleError:
        parsed = None
    if isinstance(parsed, (dict, list)):
        return render_text(parsed)
    if isinstance(parsed, str):
        return render_text(parsed)
    return f"<{len(data)} bytes of {content_type}>\n"
