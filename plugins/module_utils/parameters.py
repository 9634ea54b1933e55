# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parameter Store reads and deletes in the batch and page sizes the API allows.

Every function takes a boto3 SSM client (see connection.aws_client), so retries and
timeouts are the client's; failures are raised as errors.KeelAWSError.
"""

from __future__ import annotations

from ansible_collections.keel.ssm.plugins.module_utils.errors import aws_errors, map_aws_error

GET_PARAMETERS_BATCH = 10  # GetParameters: at most 10 names per call
BY_PATH_PAGE = 10  # GetParametersByPath: at most 10 per page
DESCRIBE_PAGE = 50  # DescribeParameters: at most 50 per page
DELETE_BATCH = 10  # DeleteParameters: at most 10 names per call


def chunks(items, size):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def get_parameters(client, names, decrypt=True, on_call=None):
    """Fetch names (each may carry a ':version' or ':label' selector) in batches of 10.

    Returns (found, invalid): found maps each requested string to its Parameter dict,
    invalid lists the requested strings AWS did not find (GetParameters is not atomic).
    """
    found, invalid = {}, []
    for batch in chunks(dict.fromkeys(names), GET_PARAMETERS_BATCH):
        if on_call:
            on_call("GetParameters", len(batch))
        try:
            response = client.get_parameters(Names=batch, WithDecryption=decrypt)
        except aws_errors() as exc:
            raise map_aws_error(exc, "GetParameters", ", ".join(batch)) from None
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


def get_parameters_by_path(client, path, recursive=True, decrypt=True, on_call=None):
    """All parameters under path (paginated, 10 per page), as a list of Parameter dicts."""
    paginator = client.get_paginator("get_parameters_by_path")
    parameters = []
    try:
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
    except aws_errors() as exc:
        raise map_aws_error(exc, "GetParametersByPath", path) from None
    return parameters


def describe_parameters(client, path=None, recursive=True, on_call=None):
    """Metadata (no values) of the parameters under path, 50 per page."""
    paginator = client.get_paginator("describe_parameters")
    kwargs = {"PaginationConfig": {"PageSize": DESCRIBE_PAGE}}
    if path and path != "/":
        kwargs["ParameterFilters"] = [
            {"Key": "Path", "Option": "Recursive" if recursive else "OneLevel", "Values": [path]}
        ]
    elif path == "/" and not recursive:
        kwargs["ParameterFilters"] = [{"Key": "Path", "Option": "OneLevel", "Values": ["/"]}]
    metadata = []
    try:
        for page in paginator.paginate(**kwargs):
            if on_call:
                on_call("DescribeParameters", 1)
            metadata.extend(page.get("Parameters", []))
    except aws_errors() as exc:
        raise map_aws_error(exc, "DescribeParameters", path) from None
    return metadata


def delete_parameters(client, names, on_call=None):
    """Delete names in batches of 10. Returns (deleted, invalid).

    Stops at the first failing batch and raises; the exception carries what was
    deleted so far in `deleted`.
    """
    deleted, invalid = [], []
    for batch in chunks(names, DELETE_BATCH):
        if on_call:
            on_call("DeleteParameters", len(batch))
        try:
            response = client.delete_parameters(Names=batch)
        except aws_errors() as exc:
            error = map_aws_error(exc, "DeleteParameters", ", ".join(batch))
            error.deleted = deleted
            raise error from None
        deleted.extend(response.get("DeletedParameters", []))
        invalid.extend(response.get("InvalidParameters", []))
    return deleted, invalid
