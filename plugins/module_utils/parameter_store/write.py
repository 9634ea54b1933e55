# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every Parameter Store write: a planned ParameterChange (PutParameter, tags, labels, in
that order) and deletions (one parameter, or a list 10 names a call).

An overwrite always sends the current description, key, tier, pattern and data type
for options the task does not manage, so nothing the task did not mention changes
(whatever the service's defaults for omitted fields are). Policies are only sent when
managed: PutParameter keeps existing policies when none are sent.
Failures raise KeelAWSError with the value redacted from the message, and in its result
`steps_done` (the calls that succeeded before it) or `deleted` (the names deleted before it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable

from ansible_collections.keel.ssm.plugins.module_utils.aws.tagging import apply_tag_changes, tag_list
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelAWSError, aws_call
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.policies import policies_json
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.read import chunks

if TYPE_CHECKING:  # for annotations only (some of these would import in a circle)
    from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.desired import DesiredParameter
    from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.plan import ParameterChange
    from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.read import CurrentParameter

DELETE_BATCH = 10  # DeleteParameters: at most 10 names per call


def put_arguments(desired: DesiredParameter, current: CurrentParameter | None, value: str) -> dict[str, Any]:
    """PutParameter arguments for desired (current None: create)."""
    type_ = desired.effective_type(current)
    key_id = desired.effective_key_id(current)
    args = {"Name": desired.name, "Value": value, "Type": type_}
    if current is None:
        args["Overwrite"] = False
        optional = {
            "Description": desired.description or None,
            "KeyId": key_id,
            "Tier": desired.tier,
            "Policies": policies_json(desired.policies) if desired.policies else None,
            "AllowedPattern": desired.allowed_pattern or None,
            "DataType": desired.data_type,
        }
        if desired.tags:
            args["Tags"] = tag_list(desired.tags)
    else:
        if not current.metadata_known:
            raise ValueError(f"metadata of {current.name} must be read before overwriting it")
        args["Overwrite"] = True  # AWS refuses Tags together with Overwrite
        optional = {
            "Description": desired.description if desired.description is not None else current.description,
            "KeyId": (key_id or current.key_id) if type_ == "SecureString" else None,
            "Tier": desired.tier or current.tier,
            "Policies": policies_json(desired.policies) if desired.policies is not None else None,
            "AllowedPattern": (
                desired.allowed_pattern if desired.allowed_pattern is not None else current.allowed_pattern
            ),
            "DataType": desired.data_type or current.data_type,
        }
    args.update((key, item) for key, item in optional.items() if item is not None)
    return args


def apply_change(
    client: Any,
    desired: DesiredParameter,
    current: CurrentParameter | None,
    change: ParameterChange,
    value: str | None,
    secrets: Iterable[str] = (),
    on_call: Callable[[str, int], None] | None = None,
) -> tuple[int | None, str | None]:
    """Write `change`. `value` is the text to put (desired or, when the task gave none,
    the current one). Returns (version, tier) after the writes."""
    name = desired.name
    version = current.version if current is not None else None
    tier = current.tier if current is not None else None
    secrets = [value, *secrets] if value else list(secrets)
    steps = []

    def count(operation):
        if on_call:
            on_call(operation, 1)

    try:
        if change.put:
            count("PutParameter")
            with aws_call("PutParameter", name, secrets):
                response = client.put_parameter(**put_arguments(desired, current, value))
            steps.append("PutParameter")
            version = response.get("Version", version)
            tier = response.get("Tier", tier)
        if current is not None and (change.tags_set or change.tags_remove):
            apply_tag_changes(client, "Parameter", name, change.tags_set, change.tags_remove, on_call=on_call)
            steps.append("tags")
        if change.labels_attach:
            count("LabelParameterVersion")
            with aws_call("LabelParameterVersion", name, secrets):
                response = client.label_parameter_version(
                    Name=name, ParameterVersion=version, Labels=change.labels_attach
                )
            if response.get("InvalidLabels"):
                raise KeelAWSError(
                    "invalid",
                    f"LabelParameterVersion {name}: labels rejected: {', '.join(response['InvalidLabels'])}",
                    operation="LabelParameterVersion",
                )
            steps.append("LabelParameterVersion")
        if change.labels_detach:
            count("UnlabelParameterVersion")
            with aws_call("UnlabelParameterVersion", name, secrets):
                client.unlabel_parameter_version(Name=name, ParameterVersion=version, Labels=change.labels_detach)
            steps.append("UnlabelParameterVersion")
    except KeelAWSError as error:
        error.result["steps_done"] = steps
        raise
    return version, tier


def delete_parameter(client: Any, name: str, on_call: Callable[[str, int], None] | None = None) -> bool:
    """DeleteParameter; returns False when it was already gone."""
    if on_call:
        on_call("DeleteParameter", 1)
    with aws_call("DeleteParameter", name, absent=("ParameterNotFound",)):
        client.delete_parameter(Name=name)
        return True
    return False  # it was already gone


def delete_parameters(
    client: Any, names: list[str], on_call: Callable[[str, int], None] | None = None
) -> tuple[list[str], list[str]]:
    """Delete names in batches of 10. Returns (deleted, invalid).

    Stops at the first failing batch and raises; the error's result carries what was
    deleted so far in `deleted`.
    """
    deleted, invalid = [], []
    for batch in chunks(names, DELETE_BATCH):
        if on_call:
            on_call("DeleteParameters", len(batch))
        try:
            with aws_call("DeleteParameters", ", ".join(batch)):
                response = client.delete_parameters(Names=batch)
        except KeelAWSError as error:
            error.result["deleted"] = deleted
            raise
        deleted.extend(response.get("DeletedParameters", []))
        invalid.extend(response.get("InvalidParameters", []))
    return deleted, invalid
