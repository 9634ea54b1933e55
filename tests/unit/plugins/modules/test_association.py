"""keel.ssm.association, run through its real main() against botocore's Stubber.

What is and is not verified here:
- moto (the AWS emulator the other tests use) has no association API: its
  CreateAssociation answers HTTP 500. So these tests use botocore's Stubber, which
  checks every request the module sends against the real SSM service model (operation
  names, parameter names, types, required fields, minimum lengths) and checks every
  canned response against the model's output shape. The tests also assert the
  exact request parameters, so "update sends the complete definition", "no write in
  check mode" and "no call before validation" are proven request by request.
- The responses are written by these tests, not produced by AWS: the service's own
  behaviour (UpdateAssociation clearing omitted fields, the defaults it stores, the
  ListAssociations filter semantics) is taken from the AWS documentation and was not
  observed here.

TEST DOUBLE: the `stubbed` fixture replaces KeelAWSModule.client so the module gets the
Stubber-wrapped boto3 client instead of one that would reach AWS. Everything else is
the module's production code path.
"""

from __future__ import annotations

import copy
import datetime
import json

import pytest

from ansible_collections.keel.ssm.plugins.modules import association
from tests.helpers.module_runner import run_module

NAME = "keel-baseline-web-production"
ASSOCIATION_ID = "8dfe3659-4309-493a-8755-0123456789ab"
SECRET = "tok-3f9c2a7e-secret-value"
LIST_FILTER = {"AssociationFilterList": [{"key": "AssociationName", "value": NAME}], "MaxResults": 50}

PARAMS = {
    "association_name": NAME,
    "document_name": "keel-baseline",
    "document_version": "$DEFAULT",
    "targets": [
        {"key": "tag:Role", "values": ["web-server"]},
        {"key": "tag:Environment", "values": ["production", "staging"]},
    ],
    "schedule": "rate(30 minutes)",
    "parameters": {"ParameterPath": "/keel/production", "Verbose": True},
    "compliance_severity": "HIGH",
    "max_concurrency": "10%",
    "max_errors": 1,
    "output_location": {"bucket": "keel-ssm-output", "prefix": "baseline", "region": "eu-west-1"},
}

# The complete definition the module must send for PARAMS.
DEFINITION = {
    "AssociationName": NAME,
    "Name": "keel-baseline",
    "DocumentVersion": "$DEFAULT",
    "Targets": [
        {"Key": "tag:Role", "Values": ["web-server"]},
        {"Key": "tag:Environment", "Values": ["production", "staging"]},
    ],
    "ScheduleExpression": "rate(30 minutes)",
    "Parameters": {"ParameterPath": ["/keel/production"], "Verbose": ["True"]},
    "ComplianceSeverity": "HIGH",
    "MaxConcurrency": "10%",
    "MaxErrors": "1",
    "OutputLocation": {
        "S3Location": {
            "OutputS3BucketName": "keel-ssm-output",
            "OutputS3KeyPrefix": "baseline",
            "OutputS3Region": "eu-west-1",
        }
    },
    "ApplyOnlyAtCronInterval": False,
}


def described(definition, version="1", **extra):
    """An AssociationDescription as DescribeAssociation/CreateAssociation answer it."""
    description = copy.deepcopy(definition)
    description.update(
        AssociationId=ASSOCIATION_ID,
        AssociationVersion=version,
        Date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
        Overview={"Status": "Pending"},
    )
    description.update(extra)
    return description


def listed(*names):
    return {
        "Associations": [
            {
                "Name": "keel-baseline",
                "AssociationName": n,
                "AssociationId": ASSOCIATION_ID if n == NAME else f"{i:08d}-0000-0000-0000-000000000000",
            }
            for i, n in enumerate(names)
        ]
    }


def run(params=None, check_mode=False, diff=False, **overrides):
    merged = copy.deepcopy(PARAMS if params is None else params)
    merged.update(overrides)
    return run_module(association.main, merged, check=check_mode, diff=diff)


def expect_lookup(stubber, stored):
    stubber.add_response("list_associations", listed(NAME), LIST_FILTER)
    stubber.add_response("describe_association", {"AssociationDescription": stored}, {"AssociationId": ASSOCIATION_ID})


def test_create_sends_the_complete_definition(stubbed):
    stubber, calls = stubbed
    stubber.add_response("list_associations", listed(), LIST_FILTER)
    stubber.add_response("create_association", {"AssociationDescription": described(DEFINITION)}, DEFINITION)
    result = run()
    assert result["changed"] is True, result
    assert calls == ["ListAssociations", "CreateAssociation"]
    assert result["association_id"] == ASSOCIATION_ID
    assert result["association_version"] == "1"
    assert result["association"]["targets"] == [
        {"key": "tag:Environment", "values": ["production", "staging"]},
        {"key": "tag:Role", "values": ["web-server"]},
    ]
    assert result["association"]["parameters"] == {"ParameterPath": ["/keel/production"], "Verbose": ["True"]}
    assert result["association"]["sync_compliance"] == "AUTO"


def test_unchanged_association_is_not_written(stubbed):
    stubber, calls = stubbed
    # AWS fills in its defaults and may list targets and values in another order.
    stored = described(
        dict(
            DEFINITION,
            Targets=[
                {"Key": "tag:Environment", "Values": ["staging", "production"]},
                {"Key": "tag:Role", "Values": ["web-server"]},
            ],
            SyncCompliance="AUTO",
        )
    )
    expect_lookup(stubber, stored)
    result = run()
    assert result["changed"] is False, result
    assert calls == ["ListAssociations", "DescribeAssociation"]
    assert result["association_version"] == "1"


def test_service_defaults_count_as_unset(stubbed):
    stubber, calls = stubbed
    minimal = {
        "association_name": NAME,
        "document_name": "keel-baseline",
        "targets": [{"key": "InstanceIds", "values": ["*"]}],
    }
    stored = described(
        {
            "AssociationName": NAME,
            "Name": "keel-baseline",
            "DocumentVersion": "$DEFAULT",
            "Targets": [{"Key": "InstanceIds", "Values": ["*"]}],
            "ComplianceSeverity": "UNSPECIFIED",
            "SyncCompliance": "AUTO",
            "ApplyOnlyAtCronInterval": False,
            "Parameters": {},
        }
    )
    expect_lookup(stubber, stored)
    assert run(minimal)["changed"] is False
    assert calls == ["ListAssociations", "DescribeAssociation"]


def test_update_replaces_the_whole_definition(stubbed):
    stubber, calls = stubbed
    stored = described(dict(DEFINITION, ScheduleExpression="rate(1 hour)"))
    expect_lookup(stubber, stored)
    # Only the schedule differs, yet every field goes out: UpdateAssociation nulls omitted ones.
    stubber.add_response(
        "update_association",
        {"AssociationDescription": described(DEFINITION, version="2")},
        dict(DEFINITION, AssociationId=ASSOCIATION_ID),
    )
    result = run()
    assert result["changed"] is True
    assert calls == ["ListAssociations", "DescribeAssociation", "UpdateAssociation"]
    assert result["association_version"] == "2"


def test_removing_an_optional_field_sends_the_definition_without_it(stubbed):
    stubber, calls = stubbed
    expect_lookup(stubber, described(DEFINITION))
    params = dict(PARAMS)
    del params["output_location"]
    expected = {key: value for key, value in DEFINITION.items() if key != "OutputLocation"}
    stubber.add_response(
        "update_association",
        {"AssociationDescription": described(expected, version="2")},
        dict(expected, AssociationId=ASSOCIATION_ID),
    )
    result = run(params)
    assert result["changed"] is True and result["association"]["output_location"] is None
    assert calls == ["ListAssociations", "DescribeAssociation", "UpdateAssociation"]


def test_targets_are_compared_without_order_but_with_values(stubbed):
    stubber, calls = stubbed
    reordered = dict(PARAMS, targets=list(reversed(PARAMS["targets"])))
    reordered["targets"][0] = {"key": "tag:Environment", "values": ["staging", "production", "staging"]}
    expect_lookup(stubber, described(DEFINITION))
    assert run(reordered)["changed"] is False
    # A different value set is a change.
    expect_lookup(stubber, described(DEFINITION))
    changed = dict(PARAMS, targets=[PARAMS["targets"][0], {"key": "tag:Environment", "values": ["production"]}])
    assert run(changed, check_mode=True)["changed"] is True
    assert calls == ["ListAssociations", "DescribeAssociation"] * 2


def test_parameter_value_order_matters(stubbed):
    stubber, _ = stubbed
    params = dict(PARAMS, parameters={"Commands": ["first", "second"]})
    stored = described(dict(DEFINITION, Parameters={"Commands": ["second", "first"]}))
    expect_lookup(stubber, stored)
    assert run(params, check_mode=True)["changed"] is True


def test_delete_and_absent_when_missing(stubbed):
    stubber, calls = stubbed
    expect_lookup(stubber, described(DEFINITION))
    stubber.add_response("delete_association", {}, {"AssociationId": ASSOCIATION_ID})
    deleted = run({"association_name": NAME, "state": "absent"})
    assert deleted["changed"] is True and deleted["association_id"] == ASSOCIATION_ID
    assert calls == ["ListAssociations", "DescribeAssociation", "DeleteAssociation"]

    calls.clear()
    stubber.add_response("list_associations", listed(), LIST_FILTER)
    assert run({"association_name": NAME, "state": "absent"})["changed"] is False
    assert calls == ["ListAssociations"]


def test_check_mode_never_writes(stubbed):
    stubber, calls = stubbed
    stubber.add_response("list_associations", listed(), LIST_FILTER)
    created = run(check_mode=True)
    assert created["changed"] is True and created["association_id"] is None
    assert created["association"]["schedule"] == "rate(30 minutes)"

    expect_lookup(stubber, described(dict(DEFINITION, MaxErrors="5")))
    updated = run(check_mode=True)
    assert updated["changed"] is True and updated["association_id"] == ASSOCIATION_ID
    assert updated["association_version"] is None
    assert updated["association"]["max_errors"] == "1"

    expect_lookup(stubber, described(DEFINITION))
    assert run({"association_name": NAME, "state": "absent"}, check_mode=True)["changed"] is True
    assert calls == ["ListAssociations"] + ["ListAssociations", "DescribeAssociation"] * 2


def test_diff_shows_definitions_and_masks_secrets(stubbed):
    stubber, _ = stubbed
    params = dict(PARAMS, secret_parameters={"ExtraVariables": f"token={SECRET}"})
    stored = dict(DEFINITION, ScheduleExpression="rate(1 hour)")
    stored["Parameters"] = dict(DEFINITION["Parameters"], ExtraVariables=["token=old-secret-value-1234"])
    expect_lookup(stubber, described(stored))
    result = run(params, check_mode=True, diff=True)
    (entry,) = result["diff"]
    assert (entry["before"]["schedule"], entry["after"]["schedule"]) == ("rate(1 hour)", "rate(30 minutes)")
    assert entry["before"]["parameters"]["ExtraVariables"] == "********"
    assert entry["after"]["parameters"]["ExtraVariables"] == "******** (changed)"
    assert entry["after"]["parameters"]["ParameterPath"] == ["/keel/production"]
    text = json.dumps(result)
    assert SECRET not in text and "old-secret-value-1234" not in text


def test_secret_values_never_appear_even_in_failures(stubbed):
    stubber, _ = stubbed
    params = dict(PARAMS, secret_parameters={"ExtraVariables": f"token={SECRET}"})
    stubber.add_response("list_associations", listed(), LIST_FILTER)
    expected = dict(DEFINITION)
    expected["Parameters"] = dict(DEFINITION["Parameters"], ExtraVariables=[f"token={SECRET}"])
    stubber.add_client_error(
        "create_association",
        service_error_code="InvalidParameters",
        service_message=f"Parameter ExtraVariables value token={SECRET} is not valid",
        expected_params=expected,
    )
    result = run(params, diff=True)
    assert result["failed"] is True
    assert result["msg"].startswith(f"CreateAssociation {NAME}: InvalidParameters:")
    assert SECRET not in json.dumps(result)


def test_unmanaged_fields_are_drift_and_named(stubbed):
    stubber, calls = stubbed
    expect_lookup(stubber, described(DEFINITION, CalendarNames=["keel-freeze"], ScheduleOffset=2))
    result = run(check_mode=True, diff=True)
    assert result["changed"] is True
    warning = json.dumps(result.get("warnings", []))
    assert "CalendarNames, ScheduleOffset set outside this module would be removed" in warning
    assert result["diff"][0]["before"]["unmanaged"] == {"CalendarNames": ["keel-freeze"], "ScheduleOffset": 2}
    assert calls == ["ListAssociations", "DescribeAssociation"]


def test_lookup_pages_and_matches_the_exact_name(stubbed):
    stubber, calls = stubbed
    first = listed(NAME + "-old")  # a filter may match more than the exact name
    first["NextToken"] = "page-2"
    stubber.add_response("list_associations", first, LIST_FILTER)
    stubber.add_response("list_associations", listed(NAME), dict(LIST_FILTER, NextToken="page-2"))
    stubber.add_response(
        "describe_association", {"AssociationDescription": described(DEFINITION)}, {"AssociationId": ASSOCIATION_ID}
    )
    assert run()["changed"] is False
    assert calls == ["ListAssociations", "ListAssociations", "DescribeAssociation"]


def test_two_associations_with_one_name_are_refused(stubbed):
    stubber, calls = stubbed
    duplicates = listed(NAME)
    duplicates["Associations"].append(
        dict(duplicates["Associations"][0], AssociationId="11111111-2222-3333-4444-555555555555")
    )
    stubber.add_response("list_associations", duplicates, LIST_FILTER)
    result = run()
    assert result["failed"] is True
    assert "2 associations carry this name" in result["msg"] and ASSOCIATION_ID in result["msg"]
    assert calls == ["ListAssociations"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"association_name": "ab"}, "association_name 'ab': must be 3 to 128"),
        ({"document_name": "has space"}, "document_name 'has space'"),
        ({"document_version": "latest"}, "document_version 'latest': must be $DEFAULT, $LATEST"),
        ({"schedule": "rate(15 minutes)"}, "schedule 'rate(15 minutes)': associations run at most every 30 minutes"),
        ({"schedule": "cron(0/10 * * * ? *)"}, "at most every 30 minutes"),
        ({"schedule": "rate(1 hours)"}, "with 1 the unit is 'hour'"),
        ({"apply_only_at_cron_interval": True}, "apply_only_at_cron_interval: only valid with a cron(...) schedule"),
        ({"targets": [{"key": "Role", "values": ["web"]}]}, "targets[0] key 'Role': must be tag:<tag key>"),
        ({"targets": [{"key": "tag:Role", "values": []}]}, "targets[0] (tag:Role): values must be a non-empty list"),
        ({"targets": [{"key": "InstanceIds", "values": ["i-123"]}]}, "'i-123' is not an instance id"),
        (
            {"targets": [{"key": f"tag:K{i}", "values": ["v"]} for i in range(6)]},
            "6 targets given, an association takes at most 5",
        ),
        (
            {"targets": [{"key": "tag:Role", "values": ["a"]}, {"key": "tag:Role", "values": ["b"]}]},
            "targets[1] key 'tag:Role': given twice",
        ),
        ({"targets": [{"key": "tag:Role", "values": [f"v{i}" for i in range(51)]}]}, "51 values, at most 50"),
        ({"max_concurrency": "0"}, "max_concurrency '0': must be a count or a percentage"),
        ({"max_concurrency": "101%"}, "max_concurrency '101%'"),
        ({"max_errors": "ten"}, "max_errors 'ten'"),
        ({"output_location": {"bucket": "Bad_Bucket"}}, "output_location.bucket 'Bad_Bucket'"),
        ({"output_location": {"bucket": "ok-bucket", "region": "Europe"}}, "output_location.region 'Europe'"),
        ({"parameters": {"Nested": {"a": "b"}}}, "parameters 'Nested': values must be strings"),
        (
            {"secret_parameters": {"ParameterPath": "x-secret-value"}},
            "secret_parameters 'ParameterPath': also given in parameters",
        ),
    ],
)
def test_validation_fails_before_any_call(stubbed, overrides, message):
    _, calls = stubbed
    result = run(**overrides)
    assert result["failed"] is True, result
    assert message in result["msg"]
    assert calls == []


def test_present_needs_document_and_targets(stubbed):
    _, calls = stubbed
    result = run({"association_name": NAME})
    assert result["failed"] is True and "document_name" in result["msg"] and "targets" in result["msg"]
    assert calls == []
