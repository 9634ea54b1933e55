# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which role settings the SSM Command documents expose, and under which names.

Shared by the generator (scripts/ssm_documents.py, which writes ssm_documents/) and by
the runner shipped in the bundle (keel-run, which turns the agent's SSM_<Name>
environment back into typed extra vars), so a document and the bundle built from the
same commit always agree on names and rules.

Every setting becomes a *String* parameter whose default is empty: an empty value
means "not set here", so Parameter Store and then the role default apply. A document
default equal to the role default would be passed as an extra var and silently beat
Parameter Store (extra vars > Parameter Store > role defaults).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
from ansible_collections.keel.ssm.plugins.plugin_utils.role_settings import (
    PARAMETER_STORE_ROLES,
    convert_setting,
    description_text,
    role_options,
)

# Characters a value may contain. Everything a shell gives meaning to is absent
# (quotes, backslash, $, `, ;, &, |, <, >, parentheses, braces, globs, #, !, ~, newline),
# so a value is inert both as "$SSM_Name" and inside the '{{ Name }}' fallback.
SAFE_TEXT = r"A-Za-z0-9 _./@%+=,:-"
MAX_TEXT = 1024
INT_TEXT = r"-?[0-9]{1,10}"
FLOAT_TEXT = r"-?[0-9]{1,10}(\.[0-9]{1,6})?"

# Baseline options every document carries: where the settings live and how to reach them.
CONNECTION_OPTIONS = ("keel_baseline_parameter_path", "keel_baseline_aws_region", "keel_baseline_aws_endpoint_url")

# Parameters of the delivery itself (not role settings).
BUNDLE_URL_PATTERN = r"^https://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?/[A-Za-z0-9._/-]{1,1000}\.zip$"
# The bundle runs as root: its full SHA-256 is pinned by the association (required, no
# default) and compared before anything is unpacked (scripts/ssm_documents.py).
BUNDLE_SHA256_PATTERN = r"^[0-9a-f]{64}$"
ANSIBLE_CORE_VERSION_PATTERN = r"^2\.(1[4-9]|2[0-9])\.[0-9]{1,3}$"
DEFAULT_ANSIBLE_CORE_VERSION = "2.17.14"
# State Manager starts max_concurrency targets together; each then reads its settings
# from Parameter Store, whose get calls share one account-wide rate (40 TPS by default).
# A random wait of 0..N s before the read spreads them out. 0 disables it; at most 30 min
# (the step's timeout is 3600 s, and the run itself needs the rest). No leading zero.
MAX_READ_DELAY_PATTERN = r"^(0|[1-9][0-9]{0,2}|1[0-7][0-9]{2}|1800)$"
MAX_READ_DELAY_LIMIT = 1800
DEFAULT_MAX_READ_DELAY = "300"
DELIVERY_PARAMETERS = {
    "BundleUrl": {
        "type": "String",
        "description": "HTTPS URL of the keel.ssm bundle (.zip) in S3, as built by `make bundle` and uploaded by "
        "playbooks/publish.yml, e.g. https://s3.eu-west-1.amazonaws.com/BUCKET/keel-ssm/keel-ssm-bundle.zip.",
        "allowedPattern": BUNDLE_URL_PATTERN,
    },
    "BundleSha256": {
        "type": "String",
        "description": "SHA-256 of the bundle at BundleUrl: 64 lowercase hex digits, as keel.ssm.s3_bundle returns "
        "it (publish.yml passes it). Required: the step refuses to unpack or run a download whose SHA-256 differs.",
        "allowedPattern": BUNDLE_SHA256_PATTERN,
    },
    "AnsibleSource": {
        "type": "String",
        "description": "Where ansible-playbook comes from: distro = the distribution's ansible-core (installed with "
        "python3-boto3 when missing; 2.14 or later required), venv = ansible-core AnsibleCoreVersion from PyPI in "
        "/opt/keel-ssm/ansible-core-VERSION.",
        "default": "distro",
        "allowedValues": ["distro", "venv"],
    },
    "AnsibleCoreVersion": {
        "type": "String",
        "description": "ansible-core version installed when AnsibleSource is venv.",
        "default": DEFAULT_ANSIBLE_CORE_VERSION,
        "allowedPattern": ANSIBLE_CORE_VERSION_PATTERN,
    },
    "Mode": {
        "type": "String",
        "description": "apply = enforce the settings; check = report what would change (ansible-playbook --check) "
        "and change nothing.",
        "default": "apply",
        "allowedValues": ["apply", "check"],
    },
    "MaxReadDelaySeconds": {
        "type": "String",
        "description": "keel-run waits a random 0 to this many seconds before the settings read under "
        "ParameterPath, so that the instances State Manager starts together (max_concurrency) do not read "
        "Parameter Store in one burst against the account's shared rate (40 TPS by default). 0 = no wait; "
        f"at most {MAX_READ_DELAY_LIMIT}. No ParameterPath, no read, no wait. The wait counts against the "
        "step's 3600 s timeout.",
        "default": DEFAULT_MAX_READ_DELAY,
        "allowedPattern": MAX_READ_DELAY_PATTERN,
    },
}

# Settings whose values cannot pass any injection-proof pattern: Parameter Store only.
PARAMETER_STORE_ONLY = {
    "keel_ssm_agent_signature_key": "an ASCII-armoured PGP key block spans lines",
}

ROLE_DOCUMENTS = tuple(PARAMETER_STORE_ROLES)
BASELINE_DOCUMENT = "keel-ssm-baseline"


def document_name(role: str) -> str:
    """keel-ssm-<role> (underscores become dashes), or the baseline's document."""
    return BASELINE_DOCUMENT if role == "baseline" else "keel-ssm-" + role.replace("_", "-")


def playbook_for(role: str) -> str:
    return f"playbooks/{role}.yml"


def parameter_name(role: str, variable: str) -> str:
    """keel_pam_faillock_deny -> FaillockDeny (CamelCase of the setting)."""
    prefix = f"keel_{role}_"
    if not variable.startswith(prefix):
        raise KeelRuleError(f"{variable}: role {role}'s settings must be named {prefix}<setting>")
    return "".join(part[:1].upper() + part[1:] for part in variable.removeprefix(prefix).split("_") if part)


def _alternation(values):
    return "(" + "|".join(re.escape(str(value)) for value in values) + ")"


def value_rule(spec: Mapping[str, Any], where: str) -> dict[str, Any] | None:
    """The allowedValues or anchored allowedPattern for a setting's declared type, or
    None when the type cannot travel as a document parameter (dict, list of dict, raw)."""
    kind = spec.get("type", "str")
    choices = spec.get("choices")
    if kind == "bool":
        return {"allowedValues": ["", "true", "false"]}
    if kind in ("str", "path", "int", "float") and choices:
        return {"allowedValues": [""] + [str(choice) for choice in choices]}
    if kind == "int":
        return {"allowedPattern": f"^({INT_TEXT})?$"}
    if kind == "float":
        return {"allowedPattern": f"^({FLOAT_TEXT})?$"}
    if kind in ("str", "path"):
        return {"allowedPattern": f"^[{SAFE_TEXT}]{{0,{MAX_TEXT}}}$"}
    if kind == "list":
        element = spec.get("elements", "str")
        if choices:
            item = _alternation(choices)
        elif element == "int":
            item = INT_TEXT
        elif element in ("str", "path"):
            item = f"[{SAFE_TEXT.replace(',', '')}]{{1,256}}"
        else:
            return None
        return {"allowedPattern": f"^({item}(,{item}){{0,63}})?$"}
    if kind in ("dict", "raw"):
        return None
    raise KeelRuleError(f"{where}: type {kind!r} has no document parameter rule")


def _description(variable, spec):
    text = description_text(spec)
    if len(text) > 400:
        text = text[:397].rstrip() + "..."
    default = spec.get("default")
    shown = "empty" if default in (None, "", []) else str(default).lower() if isinstance(default, bool) else default
    fallback = "the Parameter Store value, else the role default" if _from_store(variable) else "the role default"
    return f"{variable}: {text} Empty = {fallback} ({shown})."


def _from_store(variable):
    return any(variable.startswith(f"keel_{role}_") for role in PARAMETER_STORE_ROLES)


def document_roles(role: str) -> list[str]:
    """Roles whose options one document exposes: its own, plus the baseline's
    connection options for a single-role document."""
    return ["baseline"] if role == "baseline" else ["baseline", role]


def document_settings(role: str, roles_dir: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """[(parameter name, variable, argument spec)] for the document of `role`, in
    parameter order. Secrets (no_log) and types that cannot travel are left out: they
    come from Parameter Store only. Returns (settings, left_out variables)."""
    kwargs = {"roles_dir": roles_dir} if roles_dir else {}
    settings, left_out, seen = [], [], dict(DELIVERY_PARAMETERS)
    for owner in document_roles(role):
        options = role_options(owner, **kwargs)
        for variable in sorted(options):
            if owner == "baseline" and role != "baseline" and variable not in CONNECTION_OPTIONS:
                continue
            spec = options[variable] or {}
            if spec.get("no_log") or variable in PARAMETER_STORE_ONLY or value_rule(spec, variable) is None:
                left_out.append(variable)
                continue
            name = parameter_name(owner, variable)
            if name in seen:
                raise KeelRuleError(f"{variable}: document parameter {name} is already taken")
            seen[name] = variable
            settings.append((name, variable, spec))
    return settings, left_out


def parameter_definition(variable: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    definition = {
        "type": "String",
        "description": _description(variable, spec),
        "default": "",
        "interpolationType": "ENV_VAR",
    }
    definition.update(value_rule(spec, variable))
    return definition


def check_value(name: str, definition: Mapping[str, Any], value: str) -> str:
    """The service-side check of one value against its definition, again on the instance:
    keel-run never trusts that the service or an old agent did it. fullmatch is stricter
    than the service, whose `$` also matches before a final newline."""
    if "allowedValues" in definition and value not in definition["allowedValues"]:
        raise KeelRuleError(f"{name}: value is not one of the allowed values")
    pattern = definition.get("allowedPattern")
    if pattern and not re.fullmatch(pattern, value):
        raise KeelRuleError(f"{name}: value does not match {pattern}")
    return value


def max_read_delay(environ: Mapping[str, str]) -> int:
    """MaxReadDelaySeconds from the agent's SSM_MaxReadDelaySeconds, in seconds. Unset
    (keel-run called by hand) means the document default; an empty or malformed value
    is refused, as the service would."""
    value = environ.get("SSM_MaxReadDelaySeconds", DEFAULT_MAX_READ_DELAY)
    if not re.fullmatch(MAX_READ_DELAY_PATTERN, value):
        raise KeelRuleError(
            f"MaxReadDelaySeconds: must be a whole number of seconds from 0 to {MAX_READ_DELAY_LIMIT} without a "
            f"leading zero (0 = no wait), matching {MAX_READ_DELAY_PATTERN}"
        )
    return int(value)


def extra_vars_from_environment(role: str, environ: Mapping[str, str], roles_dir: str | None = None) -> dict[str, Any]:
    """Typed extra vars from the agent's SSM_<Name> variables: only the non-empty ones,
    so that Parameter Store and role defaults still apply to the rest."""
    settings, _specs = document_settings(role, roles_dir)
    extra_vars = {}
    for name, variable, spec in settings:
        value = environ.get(f"SSM_{name}", "")
        if value == "":
            continue
        check_value(name, parameter_definition(variable, spec), value)
        extra_vars[variable] = convert_setting(value, spec, f"document parameter {name}")
    return extra_vars
