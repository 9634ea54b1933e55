# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AppConfig calls: one wrapper (through errors.aws_call), paginated lists, lookups by
name or ID, and tags by ARN. Every function takes a boto3 `appconfig` client built by
connection.aws_client (so retries and timeouts are the client's) and raises
errors.KeelAWSError when AWS says no.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.keel.ssm.plugins.module_utils.appconfig.rules import ID_PATTERN
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError, aws_call

PAGE_SIZE = 50  # MaxResults: 1 to 50 for every AppConfig list call


def call(client: Any, operation: str, subject: str | None = None, **kwargs: Any) -> dict[str, Any]:
    """client.<operation>(**kwargs) with botocore errors mapped; the response without
    its ResponseMetadata."""
    method = "".join("_" + c.lower() if c.isupper() else c for c in operation).lstrip("_")
    with aws_call(operation, subject):
        response = getattr(client, method)(**kwargs)
    response.pop("ResponseMetadata", None)
    return response


def list_all(client: Any, operation: str, subject: str | None = None, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item of a paginated AppConfig list call."""
    items, token = [], None
    while True:
        page = call(
            client, operation, subject, MaxResults=PAGE_SIZE, **kwargs, **({"NextToken": token} if token else {})
        )
        items.extend(page.get("Items", []))
        token = page.get("NextToken")
        if not token:
            return items


def pick(items: list[dict[str, Any]], reference: str, what: str, field: str) -> dict[str, Any] | None:
    """The one item whose Name is `reference`, else the one whose Id is; None when there
    is none. AppConfig does not keep names unique: two items with the name fail."""
    named = [item for item in items if item.get("Name") == reference]
    if len(named) > 1:
        ids = ", ".join(sorted(item["Id"] for item in named))
        raise KeelRuleError(f"{field} {reference!r}: {len(named)} {what}s have this name ({ids}); give the ID")
    if named:
        return named[0]
    if ID_PATTERN.match(reference) or reference.startswith("AppConfig."):
        return next((item for item in items if item.get("Id") == reference), None)
    return None


def find_application(client: Any, reference: str, field: str = "application") -> dict[str, Any] | None:
    return pick(list_all(client, "ListApplications"), reference, "application", field)


def find_environment(
    client: Any, application_id: str, reference: str, field: str = "environment"
) -> dict[str, Any] | None:
    items = list_all(client, "ListEnvironments", f"application {application_id}", ApplicationId=application_id)
    return pick(items, reference, "environment", field)


def find_profile(client: Any, application_id: str, reference: str, field: str = "profile") -> dict[str, Any] | None:
    items = list_all(client, "ListConfigurationProfiles", f"application {application_id}", ApplicationId=application_id)
    return pick(items, reference, "configuration profile", field)


def find_strategy(client: Any, reference: str, field: str = "strategy") -> dict[str, Any] | None:
    return pick(list_all(client, "ListDeploymentStrategies"), reference, "deployment strategy", field)


def require_application(client: Any, reference: str, field: str = "application") -> dict[str, Any]:
    application = find_application(client, reference, field)
    if application is None:
        raise KeelRuleError(f"{field} {reference!r}: no such AppConfig application (name or ID)")
    return application


def require(found: dict[str, Any] | None, reference: str, what: str, field: str) -> dict[str, Any]:
    if found is None:
        raise KeelRuleError(f"{field} {reference!r}: no such {what} (name or ID)")
    return found


def supports(client: Any, operation: str, member: str) -> bool:
    """Whether the installed botocore knows `member` of `operation`'s request (Debian 12's
    botocore 1.29 predates KmsKeyIdentifier, VersionLabel and AllowRevert)."""
    return member in client.meta.service_model.operation_model(operation).input_shape.members


def require_support(client: Any, operation: str, member: str, field: str) -> None:
    if not supports(client, operation, member):
        import botocore

        raise KeelRuleError(
            f"{field}: the installed botocore {botocore.__version__} does not know {operation}'s {member};"
            " upgrade boto3/botocore or leave the option out"
        )


# -- tags ---------------------------------------------------------------------------------
def list_tags(client: Any, arn: str) -> dict[str, str]:
    return call(client, "ListTagsForResource", arn, ResourceArn=arn).get("Tags") or {}


def apply_tags(client: Any, arn: str, to_set: dict[str, str], to_remove: list[str]) -> None:
    if to_remove:
        call(client, "UntagResource", arn, ResourceArn=arn, TagKeys=to_remove)
    if to_set:
        call(client, "TagResource", arn, ResourceArn=arn, Tags=to_set)
