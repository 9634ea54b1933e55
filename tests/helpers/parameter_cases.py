"""Invalid parameter options and the message each must produce: `field` is the option
the message starts with, `rule` the text that names the rule. Shared by the unit tests
of the rules and the module tests that prove each one stops a task before any call.
Also current(): a parameter as Parameter Store would hold it, for the rule and plan tests."""

from __future__ import annotations

from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.read import CurrentParameter

SECRET = "Top-S3cret-Value"
EXPIRATION = {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2030-01-31T00:00:00.000Z"}}

INVALID_INPUTS = [
    ({"name": "/app/has space"}, "name", "only letters"),
    ({"name": "/aws/x"}, "name", "'aws' or 'ssm'"),
    ({"name": "ssm-x"}, "name", "'aws' or 'ssm'"),
    ({"name": "/app//x"}, "name", "empty hierarchy level"),
    ({"name": "/app/x/"}, "name", "must not end with '/'"),
    ({"name": "/" + "/".join(["l"] * 16)}, "name", "16 hierarchy levels"),
    ({"name": "/" + "n" * 1011}, "name", "longer than 1011"),
    ({"value": ""}, "value", "must not be empty"),
    ({"value": []}, "value", "empty list"),
    ({"value": ["x,y", "second"]}, "value[0]", "must not contain commas"),
    ({"value": ["first", ""]}, "value[1]", "must not be empty"),
    ({"value": {"nested": 1}}, "value", "must be a string, number or boolean"),
    ({"value": "x" * 4097, "tier": "Standard"}, "value", "4097 bytes, more than the 4096"),
    ({"value": "é" * 2049, "tier": "Standard"}, "value", "4098 bytes"),
    ({"value": "x" * 8193, "tier": "Advanced"}, "value", "more than the 8192 bytes"),
    ({"value": "x" * 8193}, "value", "more than the 8192 bytes"),
    ({"value": ["elem1"], "type": "String"}, "type", "a list value is a StringList"),
    ({"type": "Secret"}, "type", "must be one of String, StringList, SecureString"),
    ({"tier": "Premium"}, "tier", "must be one of Standard, Advanced, Intelligent-Tiering"),
    ({"description": "d" * 1025}, "description", "longer than 1024"),
    ({"key_id": "alias/k", "type": "String"}, "key_id", "only applies to SecureString"),
    ({"key_id": "bad key!", "type": "SecureString"}, "key_id", "is not a KMS key ID"),
    ({"policies": [EXPIRATION], "tier": "Standard"}, "policies", "Standard parameters take no policies"),
    ({"policies": "{not json", "tier": "Advanced"}, "policies", "not valid JSON"),
    ({"policies": EXPIRATION, "tier": "Advanced"}, "policies", "must be a list"),
    ({"policies": [{"Type": "Rotation", "Attributes": {}}], "tier": "Advanced"}, "policies[0]", "Type must be one of"),
    ({"policies": [EXPIRATION, EXPIRATION], "tier": "Advanced"}, "policies", "at most one Expiration"),
    ({"policies": [{**EXPIRATION, "Version": "2.0"}], "tier": "Advanced"}, "policies[0] (Expiration)", "Version"),
    (
        {"policies": [{"Type": "Expiration", "Attributes": {"Timestamp": "31/01/2030"}}], "tier": "Advanced"},
        "policies[0] (Expiration)",
        "not an ISO 8601 date-time",
    ),
    (
        {
            "policies": [{"Type": "NoChangeNotification", "Attributes": {"After": "0", "Unit": "Days"}}],
            "tier": "Advanced",
        },
        "policies[0] (NoChangeNotification)",
        "positive whole number",
    ),
    (
        {
            "policies": [{"Type": "ExpirationNotification", "Attributes": {"Before": "5", "Unit": "Weeks"}}],
            "tier": "Advanced",
        },
        "policies[0] (ExpirationNotification)",
        "Unit must be one of Days, Hours",
    ),
    (
        {"policies": [{"Type": "ExpirationNotification", "Attributes": {"Before": "5"}}], "tier": "Advanced"},
        "policies[0] (ExpirationNotification)",
        "Attributes must be exactly Before, Unit",
    ),
    (
        {"policies": [{"Type": "NoChangeNotification", "Attributes": {"After": "1", "Unit": "Days"}}] * 11},
        "policies",
        "11 policies given, at most 10",
    ),
    ({"allowed_pattern": "^[0-9]+$", "value": "12a"}, "value", "does not match allowed_pattern '^[0-9]+$'"),
    ({"allowed_pattern": "([unclosed"}, "allowed_pattern", "not a valid regular expression"),
    ({"allowed_pattern": "a" * 1025}, "allowed_pattern", "longer than 1024"),
    ({"data_type": "aws:ec2:image", "type": "SecureString"}, "data_type", "aws:ec2:image needs type String"),
    ({"data_type": "aws:ec2:image", "value": "not-an-ami"}, "value", "needs an AMI ID"),
    ({"data_type": "aws:ssm:integration", "type": "String"}, "data_type", "needs type SecureString"),
    ({"data_type": "aws:ssm:integration", "type": "SecureString"}, "data_type", "must be named under"),
    ({"data_type": "integer"}, "data_type", "must be one of text, aws:ec2:image, aws:ssm:integration"),
    ({"labels": ["1st"]}, "labels", "must not start with a digit"),
    ({"labels": ["awsy"]}, "labels", "'aws' or 'ssm'"),
    ({"labels": ["has space"]}, "labels", "only letters"),
    ({"labels": ["l" * 101]}, "labels", "longer than 100"),
    ({"labels": [f"l{i}" for i in range(11)]}, "labels", "11 labels given, at most 10"),
    ({"tags": {"aws:owner": "x"}}, "tags", "must not start with 'aws:'"),
    ({"tags": {"k" * 129: "x"}}, "tags", "longer than 128 characters"),
    ({"tags": {"k": "v" * 257}}, "tags", "longer than 256"),
    ({"tags": {"k": "semi;colon"}}, "tags", "may only hold letters"),
    ({"tags": {f"k{i}": "v" for i in range(51)}}, "tags", "51 tags given, at most 50"),
    ({"purge_labels": "sometimes"}, "purge_labels", "must be a boolean"),
    ({"colour": "red"}, "options", "unknown option(s) colour"),
]


def current(type_="String", tier="Standard", value="old", **fields):
    """A parameter /app/x at version 3, everything read (value, metadata, labels, tags)."""
    parameter = CurrentParameter("/app/x", type_, 3)
    parameter.value, parameter.value_known = value, True
    parameter.metadata_known = True
    parameter.tier = tier
    parameter.labels = fields.pop("labels", [])
    parameter.tags = fields.pop("tags", {})
    for key, item in fields.items():
        setattr(parameter, key, item)
    return parameter
