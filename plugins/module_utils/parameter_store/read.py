# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every Parameter Store read, in the batch and page sizes the API allows.

The lookup: GetParameters (10 names a call, each with an optional :version or :label
selector) and GetParametersByPath (10 a page).

One parameter (keel.ssm.parameter): GetParameterHistory without decryption gives type,
tier, key, policies, pattern, data type and the current version's labels in one or two
pages; only a SecureString's value needs GetParameter with decryption.
A tree (keel.ssm.parameter_tree): GetParametersByPath (10 per page, decrypted) gives
every value and type; DescribeParameters by name (50 names per call) adds metadata only
for the parameters whose comparison needs it; tags and labels are read only for
parameters whose spec manages them.

Decrypted values live only in CurrentParameter.value, in memory, for comparison; they
are never part of metadata() (what modules return).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Mapping

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelAWSError, aws_call
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.policies import policies_from_aws

GET_PARAMETERS_BATCH = 10  # GetParameters: at most 10 names per call
BY_PATH_PAGE = 10  # GetParametersByPath: at most 10 per page
HISTORY_PAGE = 50  # GetParameterHistory: at most 50 versions per page
DESCRIBE_NAMES = 50  # DescribeParameters: at most 50 values in one filter


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    items = list(items)
    for start in range(0, len(items), size):
        end = start + size
        yield items[start:end]


def get_parameters(
    client: Any, names: Iterable[str], decrypt: bool = True, on_call: Callable[[str, int], None] | None = None
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Fetch names (each may carry a ':version' or ':label' selector) in batches of 10.

    Returns (found, invalid): found maps each requested string to its Parameter dict,
    invalid lists the requested strings AWS did not find (GetParameters is not atomic).
    """
    found, invalid = {}, []
    for batch in chunks(dict.fromkeys(names), GET_PARAMETERS_BATCH):
        if on_call:
            on_call("GetParameters", len(batch))
        with aws_call("GetParameters", ", ".join(batch)):
            response = client.get_parameters(Names=batch, WithDecryption=decrypt)
        by_request = {}
        requests_by_name = {}
        for requested in batch:
            requests_by_name.setdefault(requested.partition(":")[0], []).append(requested)
        for parameter in response.get("Parameters", []):
            # A selector comes back in "Selector"; key results by what was asked.
            requested = parameter["Name"] + (parameter.get("Selector") or "")
            if requested not in requests_by_name.get(parameter["Name"], ()):
                # No (or a differently spelled) "Selector", as from moto: when only one
                # request in the batch names this parameter, the result is that request's.
                candidates = requests_by_name.get(parameter["Name"], ())
                requested = candidates[0] if len(candidates) == 1 else requested
            by_request[requested] = parameter
        for requested in batch:
            parameter = by_request.get(requested)
            if parameter is not None:
                found[requested] = parameter
        invalid.extend(name for name in batch if name not in found)
    return found, invalid


def get_parameters_by_path(
    client: Any,
    path: str,
    recursive: bool = True,
    decrypt: bool = True,
    on_call: Callable[[str, int], None] | None = None,
) -> list[dict[str, Any]]:
    """All parameters under path (paginated, 10 per page), as a list of Parameter dicts."""
    paginator = client.get_paginator("get_parameters_by_path")
    parameters = []
    with aws_call("GetParametersByPath", path):
        pages = paginator.paginate(
            Path=path,
            Recursive=recursive,
            WithDecryption=decrypt,
            PaginationConfig={"PageSize": BY_PATH_PAGE},
        )
        for page in pages:
            if on_call:
                on_call("GetParametersByPath", 1)
            parameters.extend(page.get("Parameters", []))
    return parameters


class CurrentParameter:
    """A parameter as read from Parameter Store. Fields not read yet are None and
    flagged (metadata_known, value_known; tags/labels None when not read)."""

    def __init__(
        self, name: str, type_: str, version: int | None, data_type: str | None = None, last_modified: Any = None
    ) -> None:
        self.name = name
        self.type = type_
        self.version = version
        self.data_type = data_type or "text"
        self.last_modified = last_modified
        self.value = None
        self.value_known = False
        self.metadata_known = False
        self.description = None
        self.key_id = None
        self.tier = None
        self.policies = []
        self.allowed_pattern = None
        self.last_modified_user = None
        self.tags = None
        self.labels = None

    @classmethod
    def from_parameter(cls, parameter: Mapping[str, Any], keep_value: bool = True) -> CurrentParameter:
        """From a GetParameter/GetParametersByPath entry (value decrypted)."""
        current = cls(
            parameter["Name"],
            parameter["Type"],
            parameter.get("Version"),
            parameter.get("DataType"),
            parameter.get("LastModifiedDate"),
        )
        if keep_value:
            current.value = parameter.get("Value")
            current.value_known = current.value is not None
        return current

    def set_metadata(self, entry: Mapping[str, Any]) -> None:
        """From a DescribeParameters or GetParameterHistory entry (never its Value)."""
        self.description = entry.get("Description") or None
        self.key_id = entry.get("KeyId")
        self.tier = entry.get("Tier")
        self.policies = policies_from_aws(entry.get("Policies"))
        self.allowed_pattern = entry.get("AllowedPattern") or None
        self.data_type = entry.get("DataType") or self.data_type
        self.last_modified_user = entry.get("LastModifiedUser")
        if entry.get("LastModifiedDate"):
            self.last_modified = entry["LastModifiedDate"]
        self.metadata_known = True

    def metadata(self) -> dict[str, Any]:
        """What a module may return about the parameter: everything but the value."""
        result = {"name": self.name, "type": self.type, "version": self.version, "data_type": self.data_type}
        if self.last_modified is not None:
            result["last_modified_date"] = (
                self.last_modified.isoformat() if hasattr(self.last_modified, "isoformat") else str(self.last_modified)
            )
        if self.metadata_known:
            result.update(
                tier=self.tier,
                description=self.description,
                key_id=self.key_id,
                allowed_pattern=self.allowed_pattern,
                policies=self.policies,
                last_modified_user=self.last_modified_user,
            )
        if self.labels is not None:
            result["labels"] = sorted(self.labels)
        if self.tags is not None:
            result["tags"] = dict(self.tags)
        return result


def _history(client, name, on_call=None):
    """The newest GetParameterHistory entry of name (no decryption), or None."""
    paginator = client.get_paginator("get_parameter_history")
    with aws_call("GetParameterHistory", name, absent=("ParameterNotFound",)):
        newest = None
        for page in paginator.paginate(Name=name, WithDecryption=False, PaginationConfig={"PageSize": HISTORY_PAGE}):
            if on_call:
                on_call("GetParameterHistory", 1)
            for entry in page.get("Parameters", []):
                if entry.get("Type") == "SecureString":
                    entry.pop("Value", None)  # ciphertext (or moto's stand-in): never used
                if newest is None or entry.get("Version", 0) > newest.get("Version", 0):
                    newest = entry
        return newest
    return None  # the parameter does not exist


def read_parameter(
    client: Any, name: str, on_call: Callable[[str, int], None] | None = None
) -> CurrentParameter | None:
    """One parameter's type, metadata and current labels; its value too unless it is a
    SecureString (history without decryption only has the ciphertext)."""
    newest = _history(client, name, on_call)
    if newest is None:
        return None
    current = CurrentParameter(name, newest["Type"], newest.get("Version"), newest.get("DataType"))
    current.set_metadata(newest)
    current.labels = list(newest.get("Labels") or [])
    if current.type != "SecureString":
        current.value = newest.get("Value")
        current.value_known = current.value is not None
    return current


def read_value(client: Any, name: str, on_call: Callable[[str, int], None] | None = None) -> tuple[str, int | None]:
    """The decrypted value (for String/StringList simply the value), for comparison only."""
    if on_call:
        on_call("GetParameter", 1)
    with aws_call("GetParameter", name):
        response = client.get_parameter(Name=name, WithDecryption=True)
    return response["Parameter"]["Value"], response["Parameter"].get("Version")


def read_labels(client: Any, current: CurrentParameter, on_call: Callable[[str, int], None] | None = None) -> None:
    """Labels of the current version (GetParameterHistory, no decryption)."""
    newest = _history(client, current.name, on_call)
    current.labels = list(newest.get("Labels") or []) if newest else []
    if newest and newest.get("Version") != current.version:
        raise KeelAWSError(
            "error",
            f"GetParameterHistory {current.name}: version {newest.get('Version')} appeared while reading "
            f"(was {current.version}); someone else is writing it, run again",
            operation="GetParameterHistory",
        )


def read_tree(
    client: Any, path: str, keep_values_for: Iterable[str] = (), on_call: Callable[[str, int], None] | None = None
) -> dict[str, CurrentParameter]:
    """Every parameter under path (recursive), by name. Decrypted values are kept only
    for the names in keep_values_for (the ones the task compares)."""
    keep = set(keep_values_for)
    tree = {}
    for parameter in get_parameters_by_path(client, path, recursive=True, decrypt=True, on_call=on_call):
        tree[parameter["Name"]] = CurrentParameter.from_parameter(parameter, keep_value=parameter["Name"] in keep)
        parameter.pop("Value", None)
    return tree


def read_metadata(
    client: Any, currents: Iterable[CurrentParameter], on_call: Callable[[str, int], None] | None = None
) -> None:
    """Add DescribeParameters metadata to the given CurrentParameters, 50 names a call."""
    by_name = {current.name: current for current in currents}
    paginator = client.get_paginator("describe_parameters")
    for batch in chunks(sorted(by_name), DESCRIBE_NAMES):
        with aws_call("DescribeParameters", f"{batch[0]} (+{len(batch) - 1} more)"):
            pages = paginator.paginate(
                ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": batch}],
                PaginationConfig={"PageSize": DESCRIBE_NAMES},
            )
            for page in pages:
                if on_call:
                    on_call("DescribeParameters", 1)
                for entry in page.get("Parameters", []):
                    if entry.get("Name") in by_name:
                        by_name[entry["Name"]].set_metadata(entry)
    missing = [name for name, current in by_name.items() if not current.metadata_known]
    if missing:
        raise KeelAWSError(
            "missing",
            f"DescribeParameters: no metadata for {', '.join(missing[:5])}; deleted while reading? run again",
            operation="DescribeParameters",
        )
