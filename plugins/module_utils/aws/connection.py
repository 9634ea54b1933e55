# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One way to reach AWS: option spec, boto3 session, clients and their retry policy.

Used by modules (on the target) and by controller plugins (the lookup) alike, so it
depends on boto3/botocore only, never on amazon.aws.
"""

from __future__ import annotations

import hashlib
import importlib.util
from typing import Any, Mapping

from ansible.module_utils.basic import env_fallback

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError

# boto3 is imported where a client is built, not here: it takes ~0.4 s, and a forked
# lookup worker that finds its values in the run cache never needs a client.
_MISSING = [name for name in ("boto3", "botocore") if importlib.util.find_spec(name) is None]
HAS_BOTO3 = not _MISSING
BOTO3_IMPORT_ERROR = ImportError(f"No module named {_MISSING[0]!r}") if _MISSING else None

# galaxy.yml is the collection's version; modules run on hosts that do not have it, so the
# User-Agent keeps this copy (tests/unit: test_the_user_agent_names_the_version_galaxy_yml_gives).
COLLECTION_VERSION = "0.1.0"
RETRY_MODES = ("standard", "adaptive")
MAX_ATTEMPTS_RANGE = (1, 20)
# Timeouts are bounded so a dead endpoint fails a task in seconds, not minutes.
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 20

# Mirrors plugins/doc_fragments/aws.py (a unit test keeps the two in step).
AWS_ARGUMENT_SPEC = {
    "profile": {
        "type": "str",
        "aliases": ["aws_profile"],
        "fallback": (env_fallback, ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"]),
    },
    "region": {
        "type": "str",
        "aliases": ["aws_region", "ec2_region"],
        "fallback": (env_fallback, ["AWS_REGION", "AWS_DEFAULT_REGION", "EC2_REGION"]),
    },
    "endpoint_url": {
        "type": "str",
        "aliases": ["aws_endpoint_url", "endpoint"],
        "fallback": (env_fallback, ["AWS_URL", "EC2_URL"]),
    },
    "access_key": {
        "type": "str",
        "aliases": ["aws_access_key_id", "aws_access_key", "ec2_access_key"],
        "fallback": (env_fallback, ["AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "EC2_ACCESS_KEY"]),
        "no_log": False,
    },
    "secret_key": {
        "type": "str",
        "aliases": ["aws_secret_access_key", "aws_secret_key", "ec2_secret_key"],
        "fallback": (env_fallback, ["AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY", "EC2_SECRET_KEY"]),
        "no_log": True,
    },
    "session_token": {
        "type": "str",
        "aliases": ["aws_session_token", "aws_security_token", "security_token", "access_token"],
        "fallback": (env_fallback, ["AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "EC2_SECURITY_TOKEN"]),
        "no_log": True,
    },
    "validate_certs": {"type": "bool", "default": True, "aliases": ["verify_ssl"]},
    "retry_mode": {"type": "str", "choices": list(RETRY_MODES), "default": "standard"},
    "max_attempts": {"type": "int", "default": 10},
}
AWS_MUTUALLY_EXCLUSIVE = [["profile", "access_key"], ["profile", "secret_key"], ["profile", "session_token"]]
CONNECTION_KEYS = tuple(AWS_ARGUMENT_SPEC)


def connection_params(options: Mapping[str, Any]) -> dict[str, Any]:
    """Pick and check the connection options out of a module's or plugin's options."""
    params = {key: options.get(key) for key in CONNECTION_KEYS}
    if params["retry_mode"] is None:
        params["retry_mode"] = "standard"
    if params["retry_mode"] not in RETRY_MODES:
        raise KeelRuleError(f"retry_mode: must be one of {', '.join(RETRY_MODES)}, got {params['retry_mode']!r}")
    if params["max_attempts"] is None:
        params["max_attempts"] = 10
    low, high = MAX_ATTEMPTS_RANGE
    if not low <= int(params["max_attempts"]) <= high:
        raise KeelRuleError(f"max_attempts: must be between {low} and {high}, got {params['max_attempts']}")
    if params["validate_certs"] is None:
        params["validate_certs"] = True
    if params["profile"] and (params["access_key"] or params["secret_key"] or params["session_token"]):
        raise KeelRuleError("profile: cannot be combined with access_key, secret_key or session_token")
    if bool(params["access_key"]) != bool(params["secret_key"]):
        raise KeelRuleError("access_key/secret_key: give both or neither")
    return params


def connection_identity(params: Mapping[str, Any]) -> str:
    """A stable, non-reversible key for "the same account, region and endpoint"."""
    material = "\0".join(
        str(params.get(key) or "") for key in CONNECTION_KEYS if key not in ("retry_mode", "max_attempts")
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def client_config(params: Mapping[str, Any], service: str = "ssm") -> Any:
    """botocore's own retry modes (which retry ThrottlingException), with bounds."""
    import botocore.config

    extra = {}
    if service == "s3" and params.get("endpoint_url"):
        # A custom endpoint (VPC endpoint, emulator) has no per-bucket DNS names.
        extra["s3"] = {"addressing_style": "path"}
    return botocore.config.Config(
        retries={"mode": params["retry_mode"], "total_max_attempts": int(params["max_attempts"])},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        user_agent_extra=f"keel.ssm/{COLLECTION_VERSION}",
        **extra,
    )


def aws_client(params: Mapping[str, Any], service: str = "ssm") -> Any:
    """A boto3 client for `service` built from checked connection params."""
    import boto3.session

    session = boto3.session.Session(
        profile_name=params.get("profile") or None,
        aws_access_key_id=params.get("access_key") or None,
        aws_secret_access_key=params.get("secret_key") or None,
        aws_session_token=params.get("session_token") or None,
        region_name=params.get("region") or None,
    )
    return session.client(
        service,
        endpoint_url=params.get("endpoint_url") or None,
        verify=bool(params.get("validate_certs", True)),
        config=client_config(params, service),
    )
