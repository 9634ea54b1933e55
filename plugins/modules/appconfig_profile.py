#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module keel.ssm.appconfig_profile: an AppConfig configuration profile and its validators."""

DOCUMENTATION = r"""
module: appconfig_profile
short_description: Create, update and delete AWS AppConfig configuration profiles and their validators
version_added: 0.2.0
description:
  - A configuration profile says where a configuration lives (the AppConfig hosted store, a
    Parameter Store parameter, an S3 object, ...) and how it is validated before a deployment.
  - With O(content), also the configuration itself, for profiles in the hosted store. A new hosted
    version is created only when the content differs from the latest version. JSON and YAML are
    compared parsed, so layout and key order alone change nothing.
  - Content is checked as AppConfig checks it when a deployment starts, but before it is stored.
    It is checked against every JSON Schema validator (draft-04, with the jsonschema library), and
    a V(AWS.AppConfig.FeatureFlags) profile's content also against the feature-flags format. A
    failure names the field (for example C(content.values.new_ui.enabled)) and the rule, never the
    value. Malformed JSON or YAML fails before any call. So does a format or schema violation when
    the task sets O(type) (format) or O(validators) (schemas; V([]) for none). What the task leaves
    unset is read from the profile first, and nothing is written before the check.
  - JSON Schema validators are checked before they are sent, as the draft-04 schemas AppConfig
    evaluates.
  - Found by O(name) within O(application). Only what differs is updated. AppConfig cannot change
    a profile's O(location_uri) or O(type); asking for that fails, naming the option.
author:
  - keel.ssm contributors (!UNKNOWN)
options:
  name:
    description:
      - Name of the profile, 1 to 128 characters.
    type: str
    required: true
  location_uri:
    description:
      - Where the configuration lives. V(hosted) for the AppConfig hosted configuration store,
        C(ssm-parameter://NAME) for a Parameter Store parameter, C(s3://BUCKET/KEY) for an S3
        object, or C(ssm-document://), C(secretsmanager://), C(codepipeline://) sources.
      - Every source but V(hosted) needs O(retrieval_role_arn).
    type: str
    default: hosted
  type:
    description:
      - V(AWS.Freeform) for any configuration, V(AWS.AppConfig.FeatureFlags) for feature flags
        (hosted only; their content is checked against the feature-flags format).
      - When unset, a new profile is V(AWS.Freeform) and an existing one keeps its type.
    type: str
    choices: [AWS.Freeform, AWS.AppConfig.FeatureFlags]
  retrieval_role_arn:
    description:
      - IAM role AppConfig assumes to read a source outside the hosted store.
    type: str
  validators:
    description:
      - At most two validators that AppConfig runs when a deployment starts. The list replaces the
        profile's validators; V([]) removes them, unset leaves them alone. Order does not matter.
    type: list
    elements: dict
    suboptions:
      type:
        description:
          - V(JSON_SCHEMA) or V(LAMBDA).
        type: str
        choices: [JSON_SCHEMA, LAMBDA]
        required: true
      content:
        description:
          - For V(JSON_SCHEMA), the schema (a mapping, or its JSON text), draft-04, at most 32768
            characters. For V(LAMBDA), the function's ARN.
        type: raw
        required: true
  kms_key_identifier:
    description:
      - KMS key (ID, alias or ARN) that encrypts hosted versions of this profile.
      - Needs a botocore that knows the member (newer than Debian 12's 1.29).
    type: str
  content:
    description:
      - The configuration to keep as the latest hosted version (hosted profiles only). A mapping or
        list is sent as JSON (or YAML, by O(content_type)); a string is sent as it is.
      - At most 1 MB. When unset, hosted versions are left alone.
    type: raw
  content_type:
    description:
      - MIME type of O(content), for example V(application/json), V(application/x-yaml) or
        V(text/plain). JSON and YAML content is parsed and must be valid.
    type: str
    default: application/json
  version_label:
    description:
      - Label of the hosted version this task creates (1 to 64 characters, not only digits).
        Applied only to a new version.
      - Needs a botocore that knows the member (newer than Debian 12's 1.29).
    type: str
  version_description:
    description:
      - Description of the hosted version this task creates (ASCII, at most 1024 characters).
    type: str
  state:
    description:
      - V(present) creates or updates the profile. V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - keel.ssm.aws
  - keel.ssm.aws.tags
  - keel.ssm.appconfig.application
  - keel.ssm.appconfig
requirements:
  - jsonschema (only with JSON_SCHEMA validators; Debian and Ubuntu ship it as python3-jsonschema)
seealso:
  - module: keel.ssm.appconfig_hosted_version
"""

EXAMPLES = r"""
- name: Feature flags, hosted by AppConfig (a new version only when a flag changes)
  keel.ssm.appconfig_profile:
    application: payments
    name: feature-flags
    type: AWS.AppConfig.FeatureFlags
    content:
      version: "1"
      flags:
        new_checkout:
          name: New checkout flow
          attributes:
            limit:
              constraints: {type: number, minimum: 1, maximum: 10000}
      values:
        new_checkout: {enabled: true, limit: 500}
  register: flags

- name: Deploy the version the task left latest
  keel.ssm.appconfig_deployment:
    application: payments
    environment: production
    configuration_profile: feature-flags
    configuration_version: "{{ flags.version_number }}"
    strategy: AppConfig.AllAtOnce

- name: Runtime limits, hosted, validated by a JSON Schema before any deployment
  keel.ssm.appconfig_profile:
    application: payments
    name: limits
    validators:
      - type: JSON_SCHEMA
        content:
          $schema: http://json-schema.org/draft-04/schema#
          type: object
          properties:
            transaction_limit: {type: integer, minimum: 1, maximum: 10000}
          required: [transaction_limit]

- name: A configuration kept in Parameter Store
  keel.ssm.appconfig_profile:
    application: payments
    name: endpoints
    location_uri: ssm-parameter:///payments/prod/endpoints
    retrieval_role_arn: arn:aws:iam::123456789012:role/appconfig-read-parameters
"""

RETURN = r"""
id:
  description: ID of the profile (null in check mode when it would be created, or when absent).
  returned: always
  type: str
  sample: prf1234
name:
  description: Name of the profile.
  returned: always
  type: str
  sample: feature-flags
application_id:
  description: ID of the application.
  returned: when state is present
  type: str
  sample: abc1234
location_uri:
  description: Where the configuration lives.
  returned: when state is present
  type: str
  sample: hosted
type:
  description: Type of the profile.
  returned: when state is present
  type: str
  sample: AWS.AppConfig.FeatureFlags
validators:
  description: The validators, each with C(type) and C(content) (a JSON Schema's text).
  returned: when state is present
  type: list
  elements: dict
retrieval_role_arn:
  description: The retrieval role, or null.
  returned: when state is present
  type: str
description:
  description: Description of the profile.
  returned: when state is present
  type: str
kms_key_identifier:
  description: The KMS key, or null.
  returned: when state is present
  type: str
tags:
  description: Tags after the task. Only when O(tags) is set.
  returned: when tags is set
  type: dict
version_number:
  description:
    - The hosted version that holds O(content) (the latest one), predicted in check mode when
      one would be created.
  returned: when content is set
  type: int
  sample: 3
content_type:
  description: Content type of that version.
  returned: when content is set
  type: str
  sample: application/json
version_label:
  description: Label of that version, or null.
  returned: when content is set
  type: str
version_created:
  description: Whether this task created (or, in check mode, would create) a hosted version.
  returned: when content is set
  type: bool
"""

from ansible_collections.keel.ssm.plugins.module_utils.appconfig import api
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.content import load_schema
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.hosted import DesiredContent, ensure_version
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.resources import (
    APPLICATION_SPEC,
    PROFILE,
    RESOURCE_SPEC,
    ensure,
    find,
    module_main,
    resolve,
    resource_options,
)
from ansible_collections.keel.ssm.plugins.module_utils.appconfig.rules import (
    FEATURE_FLAGS,
    HOSTED,
    PROFILE_TYPES,
    VALIDATOR_TYPES,
    check_description,
    check_kms_key,
    check_location_uri,
    check_profile_name,
    check_profile_source,
    check_reference,
    check_role_arn,
    check_validators,
)
from ansible_collections.keel.ssm.plugins.module_utils.diff import attach_diff
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError

ARGUMENT_SPEC = {
    **APPLICATION_SPEC,
    "name": {"type": "str", "required": True},
    "location_uri": {"type": "str", "default": "hosted"},
    "type": {"type": "str", "choices": list(PROFILE_TYPES)},
    "retrieval_role_arn": {"type": "str"},
    "validators": {
        "type": "list",
        "elements": "dict",
        "options": {
            "type": {"type": "str", "choices": list(VALIDATOR_TYPES), "required": True},
            "content": {"type": "raw", "required": True},
        },
    },
    "kms_key_identifier": {"type": "str"},
    "content": {"type": "raw"},
    "content_type": {"type": "str", "default": "application/json"},
    "version_label": {"type": "str"},
    "version_description": {"type": "str"},
    **RESOURCE_SPEC,
}


def desired_validators(validators):
    checked = check_validators(validators)
    for index, validator in enumerate(checked or []):
        if validator["Type"] == "JSON_SCHEMA":
            validator["Content"], _schema = load_schema(validator["Content"], f"validators[{index}].content")
    return checked


def desired_content(params, location_uri):
    """The hosted version the task asks for, or None."""
    if params["content"] is None:
        for option in ("version_label", "version_description"):
            if params[option] is not None:
                raise KeelRuleError(f"{option}: only applies with content")
        return None
    if location_uri != HOSTED:
        raise KeelRuleError(
            f"content: only profiles in the hosted store take content here (location_uri is {location_uri!r})"
        )
    return DesiredContent(
        params["content"], params["content_type"], params["version_label"], params["version_description"]
    )


def run(module):
    params = module.params
    reference = check_reference(params["application"], "application")
    name = check_profile_name(params["name"])
    location_uri = check_location_uri(params["location_uri"])
    role = check_role_arn(params["retrieval_role_arn"], "retrieval_role_arn")
    if params["state"] == "present":
        check_profile_source(location_uri, params["type"], role)
    desired = {
        "Description": check_description(params["description"]),
        "LocationUri": location_uri,
        "Type": params["type"],
        "RetrievalRoleArn": role,
        "Validators": desired_validators(params["validators"]),
        "KmsKeyIdentifier": check_kms_key(params["kms_key_identifier"]),
    }
    options = resource_options(params)
    content = desired_content(params, location_uri) if params["state"] == "present" else None
    # What the task declares is checked now, before any call...
    if content is not None and params["type"] is not None:
        content.check_format(params["type"])
    if content is not None and desired["Validators"] is not None:
        content.check_validators(desired["Validators"], "as this task declares it")

    client = module.client("appconfig")
    if desired["KmsKeyIdentifier"] is not None:
        api.require_support(client, "CreateConfigurationProfile", "KmsKeyIdentifier", "kms_key_identifier")
    application = resolve(module, api.find_application(client, reference), reference, "application", "application")
    parents = {"ApplicationId": application}
    if content is None:
        return ensure(module, PROFILE, parents, name, desired, **options)
    current = find(client, PROFILE, parents, name)
    profile_type = params["type"] or (current or {}).get("Type") or "AWS.Freeform"
    # ...and what it leaves unset is what AWS holds: checked after reading, before any write.
    if params["type"] is None:
        content.check_format(profile_type)
    if desired["Validators"] is None:
        content.check_validators((current or {}).get("Validators"), "as the profile holds it")
    result = ensure(module, PROFILE, parents, name, desired, current=current, **options)
    created, fields, diff = ensure_version(
        module, client, application, result["id"], content, FEATURE_FLAGS if profile_type == FEATURE_FLAGS else None
    )
    result.update(fields, version_created=created, changed=result["changed"] or created)
    if module._diff and diff:
        attach_diff(result, *(result.pop("diff", None) or []), diff)
    return result


def main():
    module_main(ARGUMENT_SPEC, run)


if __name__ == "__main__":
    main()
