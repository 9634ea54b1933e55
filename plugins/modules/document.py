#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module keel.ssm.document: SSM documents, idempotent on their parsed content."""

DOCUMENTATION = r"""
module: document
short_description: Create, update and delete AWS Systems Manager (SSM) documents
version_added: 0.1.0
description:
  - Registers an SSM document from a file (O(path)) or inline O(content), in YAML or JSON.
  - Idempotent on the B(parsed) content. The desired document is compared with the
    document's latest version. Layout, comments, key order, or YAML versus JSON alone
    never create a version. A new version is only created when the content or
    O(target_type) really changes.
  - Content is checked before any AWS call. A C(schemaVersion) string must be present.
    O(content) C(parameters) must be well formed (known C(type), typed C(default),
    C(allowedValues), C(allowedPattern), C(interpolationType)). Command and Automation
    documents need C(mainSteps) with a unique C(name) and an C(aws:) C(action) in every step.
    The document name, version name, target type and tags follow the service's rules.
    Every failure names the field and the rule, and nothing is written.
  - Supports check mode and diff mode. The diff shows the document content, rendered
    as sorted YAML, and the version, target type and tag changes.
author:
  - keel.ssm contributors (!UNKNOWN)
options:
  name:
    description:
      - Name of the document. 3 to 128 letters, digits, V(_), V(-) and V(.).
      - Must not start with C(aws), C(amazon) or C(amzn) in any case. AWS reserves those prefixes.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the document. V(absent) deletes it with all its versions.
    type: str
    choices: [present, absent]
    default: present
  path:
    description:
      - File holding the document, on the host that runs the module (usually C(localhost)).
      - The file is sent unchanged, so comments survive.
      - Its format comes from O(document_format), else from the extension (C(.json), C(.yml), C(.yaml)).
        Otherwise the text is read as JSON when it is a JSON object, or as YAML.
      - Mutually exclusive with O(content). One of them is required when O(state=present).
    type: path
  content:
    description:
      - The document inline, as a YAML or JSON string or as a mapping.
      - A mapping is sent as YAML unless O(document_format=JSON).
      - SSM documents use C({{ Parameter }}) placeholders, which Ansible would try to template.
        Keep such documents in a file (O(path)), or mark inline text C(!unsafe).
    type: raw
  document_type:
    description:
      - Type of the document. AWS cannot change the type of an existing document.
        A different type fails, and the message says to delete the document first.
    type: str
    default: Command
    choices:
      - Command
      - Policy
      - Automation
      - Session
      - Package
      - ApplicationConfiguration
      - ApplicationConfigurationSchema
      - DeploymentStrategy
      - ChangeCalendar
      - Automation.ChangeTemplate
      - ProblemAnalysis
      - ProblemAnalysisTemplate
      - CloudFormation
      - ConformancePackTemplate
      - QuickSetup
      - ManualApprovalPolicy
      - AutoApprovalPolicy
  document_format:
    description:
      - Format in which the content is sent. Detected from O(path) or O(content) when unset.
      - V(TEXT) is for documents that are not YAML or JSON (change calendars). Their text is compared as is.
      - Changing only the format creates no version, because the parsed content is unchanged.
    type: str
    choices: [YAML, JSON, TEXT]
  target_type:
    description:
      - Resource type the document may run on, for example V(/AWS::EC2::Instance), or V(/) for all types.
      - When unset, the target type of the latest version is kept.
    type: str
  version_name:
    description:
      - Name given to the version that this task creates, for example a release number.
        Version names are unique within a document.
      - AWS cannot create a version whose content matches an existing one. A changed
        O(version_name) with unchanged content therefore creates no version. The module warns instead.
    type: str
  default_version:
    description:
      - Which version runs when callers do not ask for one.
      - V(latest) makes the latest version the default, including a version this task
        has just created. A number selects that version, which must exist (or be the one being created).
      - When unset, the default version is left as it is. AWS makes version 1 the
        default at creation and does not move the default when versions are added.
    type: raw
extends_documentation_fragment:
  - keel.ssm.aws
  - keel.ssm.aws.tags
notes:
  - >-
    Calls: for an unchanged document, C(DescribeDocument) and C(GetDocument) of the latest
    version, plus C(ListTagsForResource) when O(tags) is set. A content change adds
    C(UpdateDocument). A default version change adds C(UpdateDocumentDefaultVersion).
  - New versions are awaited until AWS reports them C(Active), for at most 60 seconds.
    A C(Failed) version fails the task with AWS's reason.
  - Tested against a moto server over HTTP (see the collection's tests).
  - YAML content needs PyYAML on the host that runs the module. ansible-core depends on PyYAML.
seealso:
  - module: keel.ssm.association
"""

EXAMPLES = r"""
- name: Register the baseline document from the repository
  keel.ssm.document:
    name: keel-baseline
    path: "{{ playbook_dir }}/../ssm_documents/keel-baseline.yml"
    document_type: Command
    target_type: /AWS::EC2::Instance
    version_name: "0.1.0"
    default_version: latest
    tags:
      Project: keel
      Owner: platform
  delegate_to: localhost

- name: A small inline document (a mapping is sent as YAML)
  keel.ssm.document:
    name: keel-uptime
    content:
      schemaVersion: "2.2"
      description: Print the uptime
      mainSteps:
        - name: uptime
          action: aws:runShellScript
          inputs:
            runCommand: [uptime]
    default_version: latest

- name: Roll back to version 3 without creating a new version
  keel.ssm.document:
    name: keel-baseline
    path: files/keel-baseline-v3.yml
    default_version: 3

- name: Remove the document and all its versions
  keel.ssm.document:
    name: keel-uptime
    state: absent
"""

RETURN = r"""
name:
  description: Name of the document.
  returned: always
  type: str
  sample: keel-baseline
document_version:
  description:
    - The version that holds the desired content, which is the latest version.
    - In check mode, the predicted number of the version that would be created.
  returned: when state is present
  type: str
  sample: "3"
latest_version:
  description: Latest version of the document after the task (predicted in check mode).
  returned: when state is present
  type: str
  sample: "3"
default_version:
  description: Default version of the document after the task (predicted in check mode).
  returned: when state is present
  type: str
  sample: "3"
status:
  description:
    - Status of RV(document_version) (C(Active) once AWS has validated it).
    - Null in check mode when a version would be created.
  returned: when state is present
  type: str
  sample: Active
hash:
  description:
    - SHA-256 hash AWS computed for RV(document_version).
    - Null in check mode when a version would be created.
  returned: when state is present
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
document_type:
  description: Type of the document.
  returned: when state is present
  type: str
  sample: Command
document_format:
  description:
    - Format of the latest version as stored. When this task creates a version, it is
      the format that the content was sent in (or would be sent in, in check mode).
  returned: when state is present
  type: str
  sample: YAML
target_type:
  description: Target type of the latest version, or null.
  returned: when state is present
  type: str
  sample: /AWS::EC2::Instance
version_name:
  description: Version name of the latest version, or null.
  returned: when state is present
  type: str
  sample: 0.1.0
tags:
  description: Tags of the document after the task. Only set when O(tags) is given.
  returned: when state is present and tags is set
  type: dict
  sample: {Project: keel}
"""

from ansible_collections.keel.ssm.plugins.module_utils.aws.module import KeelAWSModule
from ansible_collections.keel.ssm.plugins.module_utils.aws.tagging import (
    check_tags,
    list_tags,
    merged_tags,
    reconcile_tags,
    tag_list,
)
from ansible_collections.keel.ssm.plugins.module_utils.diff import attach_diff, diff_entry, render_text
from ansible_collections.keel.ssm.plugins.module_utils.documents.document import (
    DEFAULT_VERSION_LATEST,
    DOCUMENT_FORMATS,
    DOCUMENT_TYPES,
    check_default_version,
    check_document_name,
    check_target_type,
    check_version_name,
    content_matches,
    create_document,
    delete_document,
    describe_document,
    get_document,
    load_content,
    parse_content,
    set_default_version,
    update_document,
    validate_document,
    wait_until_active,
)
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "path": {"type": "path"},
    "content": {"type": "raw"},
    "document_type": {"type": "str", "choices": list(DOCUMENT_TYPES), "default": "Command"},
    "document_format": {"type": "str", "choices": list(DOCUMENT_FORMATS)},
    "target_type": {"type": "str"},
    "version_name": {"type": "str"},
    "default_version": {"type": "raw"},
    "tags": {"type": "dict"},
    "purge_tags": {"type": "bool", "default": True},
}


class DesiredDocument:
    """The checked input of a present document (built before any AWS call)."""

    def __init__(self, params):
        self.name = check_document_name(params["name"])
        self.document_type = params["document_type"]
        self.version_name = check_version_name(params["version_name"])
        self.target_type = check_target_type(params["target_type"])
        self.default_version = check_default_version(params["default_version"])
        self.tags = check_tags(params["tags"])
        self.purge_tags = params["purge_tags"]
        self.text, self.parsed, self.document_format = load_content(
            params["path"], params["content"], params["document_format"]
        )
        validate_document(self.parsed, self.document_type, self.document_format)


def resolve_default(desired, latest, current_default, creating=False):
    """The default version the document should end with (an int), checked before any write."""
    wanted = desired.default_version
    if wanted is None:
        return current_default
    if wanted == DEFAULT_VERSION_LATEST:
        return latest
    if creating and wanted != 1:
        raise KeelRuleError(
            f"default_version {wanted}: document {desired.name} does not exist yet; its first version is 1"
        )
    if wanted > latest:
        raise KeelRuleError(
            f"default_version {wanted}: document {desired.name} has no such version (latest would be {latest})"
        )
    return wanted


def ensure_absent(module, name):
    client = module.client()
    current = describe_document(client, name)
    result = {"changed": current is not None, "name": name}
    if current is None:
        return result
    if module._diff:
        result["diff"] = diff_entry(
            {"name": name, "latest_version": current.get("LatestVersion"), "state": "present"},
            {"name": name, "state": "absent"},
        )
    if not module.check_mode:
        delete_document(client, name)
    return result


def ensure_present(module, desired):
    client = module.client()
    current = describe_document(client, desired.name, "$LATEST")
    if current is None:
        return create(module, client, desired)
    return update(module, client, desired, current)


def create(module, client, desired):
    default = resolve_default(desired, 1, 1, creating=True)
    description = None
    if not module.check_mode:
        description = create_document(
            client,
            desired.name,
            desired.text,
            desired.document_type,
            desired.document_format,
            target_type=desired.target_type,
            version_name=desired.version_name,
            tags=tag_list(desired.tags) if desired.tags else None,
        )
        description = wait_until_active(client, description)
    result = outcome(desired, description, latest=1, default=default, tags=desired.tags)
    result["changed"] = True
    if module._diff:
        attach_diff(
            result,
            diff_entry("", render_text(desired.parsed), after_header=f"{desired.name} (new document)"),
            diff_entry({}, properties(result, desired.tags is not None)),
        )
    return result


def update(module, client, desired, current):
    if current.get("DocumentType") != desired.document_type:
        raise KeelRuleError(
            f"document_type: {desired.name} is a {current.get('DocumentType')} document and AWS cannot change a"
            f" document's type to {desired.document_type}; delete it first (state: absent)"
        )
    latest = int(current["LatestVersion"])
    current_default = int(current["DefaultVersion"])
    latest_document = get_document(client, desired.name, "$LATEST")
    current_format = latest_document.get("DocumentFormat") or current.get("DocumentFormat")
    same_content = content_matches(latest_document["Content"], current_format, desired.parsed, desired.document_format)
    target_type = desired.target_type or current.get("TargetType")
    needs_version = not same_content or target_type != current.get("TargetType")
    new_latest = latest + 1 if needs_version else latest
    default = resolve_default(desired, new_latest, current_default)
    current_tags = list_tags(client, "Document", desired.name) if desired.tags is not None else None

    if desired.version_name and not needs_version and current.get("VersionName") != desired.version_name:
        latest_name = current.get("VersionName")
        module.warn(
            f"version_name {desired.version_name!r} was not applied: the content of {desired.name} is unchanged,"
            f" and AWS only names new versions (latest version {latest} is "
            + (f"named {latest_name!r})" if latest_name else "unnamed)")
        )

    description = current
    if needs_version and not module.check_mode:
        description = update_document(
            client,
            desired.name,
            desired.text,
            desired.document_format,
            target_type=target_type,
            version_name=desired.version_name,
        )
        description = wait_until_active(client, description)
    if default != current_default and not module.check_mode:
        set_default_version(client, desired.name, default)
    tags_changed = reconcile_tags(
        client,
        "Document",
        desired.name,
        current_tags,
        desired.tags,
        desired.purge_tags,
        check_mode=module.check_mode,
    )

    result = outcome(
        desired,
        None if needs_version and module.check_mode else description,
        latest=new_latest,
        default=default,
        tags=merged_tags(current_tags, desired.tags, desired.purge_tags) if desired.tags is not None else None,
        target_type=target_type,
        # Unchanged content keeps the format it was stored in.
        document_format=desired.document_format if needs_version else current.get("DocumentFormat"),
    )
    result["changed"] = needs_version or default != current_default or tags_changed
    if module._diff:
        before_properties = {
            "latest_version": str(latest),
            "default_version": str(current_default),
            "target_type": current.get("TargetType"),
        }
        if current_tags is not None:
            before_properties["tags"] = current_tags
        attach_diff(
            result,
            diff_entry(
                render_text(parse_or_text(latest_document["Content"], current_format)),
                render_text(desired.parsed),
                before_header=f"{desired.name} version {latest} (latest)",
                after_header=f"{desired.name} (desired)",
            ),
            diff_entry(before_properties, properties(result, desired.tags is not None)),
        )
    return result


def parse_or_text(text, document_format):
    try:
        return parse_content(text, document_format or "JSON")
    except KeelRuleError:
        return text


def properties(result, with_tags):
    shown = {key: result.get(key) for key in ("latest_version", "default_version", "target_type")}
    if with_tags:
        shown["tags"] = result.get("tags")
    return shown


def outcome(desired, description, latest, default, tags=None, target_type=None, document_format=None):
    """The module result; `description` is the latest version's DocumentDescription, or
    None when it does not exist yet (check mode)."""
    description = description or {}
    result = {
        "name": desired.name,
        "document_version": str(latest),
        "latest_version": str(latest),
        "default_version": str(default),
        "status": description.get("Status"),
        "hash": description.get("Hash"),
        "document_type": desired.document_type,
        "document_format": document_format or desired.document_format,
        "target_type": description.get("TargetType", target_type or desired.target_type),
        "version_name": description.get("VersionName", desired.version_name if not description else None),
    }
    if tags is not None:
        result["tags"] = tags
    return result


def run(module):
    if module.params["state"] == "absent":
        return ensure_absent(module, check_document_name(module.params["name"]))
    return ensure_present(module, DesiredDocument(module.params))


def main():
    module = KeelAWSModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[["path", "content"]],
        required_if=[["state", "present", ["path", "content"], True]],
        supports_check_mode=True,
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
