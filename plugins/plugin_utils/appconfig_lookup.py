# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the keel.ssm.appconfig lookup does, apart from Ansible's plugin plumbing: check
terms and options, build cache keys, read a configuration the way the AppConfig Agent
does (StartConfigurationSession, then GetLatestConfiguration with its token), and parse
it by content type. The run cache (run_cache) and its outcome format are the parameter
lookup's:
  {"s": "found", "c": text, "ct": content type, "vl": version label}
  {"s": "found", "b": base64, "ct": ...}       content that is not UTF-8 text
  {"s": "missing", "m": message}                no such application/environment/profile,
                                                or nothing deployed there yet
  {"s": "denied", "m": message}
  {"s": "error", "k": kind, "m": message}       a failed fetch, handed to waiting forks
Messages name the application, environment and profile, never content.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Iterable, Mapping

from ansible_collections.keel.ssm.plugins.module_utils.appconfig.content import parse
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelAWSError, KeelRuleError, aws_call
from ansible_collections.keel.ssm.plugins.plugin_utils.parameter_lookup import (
    ACTIONS,
    flatten_terms,
)

IDENTIFIER_MAX = 128  # appconfigdata Identifier: 1 to 128 characters
PARSE_MODES = ("auto", "text")


def _identifier(value, field):
    if not isinstance(value, str) or not 1 <= len(value) <= IDENTIFIER_MAX:
        raise KeelRuleError(f"{field} {value!r}: must be a name or ID of 1 to {IDENTIFIER_MAX} characters")
    return value


def check_request(terms: Iterable[Any], options: Mapping[str, Any]) -> list[str]:
    """Validate options and terms (profile names or IDs); returns the profiles."""
    _identifier(options["application"], "application")
    _identifier(options["environment"], "environment")
    if options["on_missing"] not in ACTIONS:
        raise KeelRuleError(f"on_missing: must be one of {', '.join(ACTIONS)}, got {options['on_missing']!r}")
    if options["parse"] not in PARSE_MODES:
        raise KeelRuleError(f"parse: must be one of {', '.join(PARSE_MODES)}, got {options['parse']!r}")
    profiles = []
    for term in flatten_terms(terms):
        profiles.append(_identifier(term, "term"))
    return profiles


def cache_key(identity: str, application: str, environment: str, profile: str) -> str:
    return json.dumps(["appconfig", identity, application, environment, profile])


def fetch(client: Any, application: str, environment: str, profile: str) -> dict[str, Any]:
    """One configuration, read as the agent reads it: a new session, one read."""
    where = f"profile {profile} of {application}/{environment}"
    try:
        with aws_call("StartConfigurationSession", where):
            session = client.start_configuration_session(
                ApplicationIdentifier=application,
                EnvironmentIdentifier=environment,
                ConfigurationProfileIdentifier=profile,
            )
        with aws_call("GetLatestConfiguration", where):
            response = client.get_latest_configuration(ConfigurationToken=session["InitialConfigurationToken"])
    except KeelAWSError as error:
        if error.code == "ResourceNotFoundException":
            return {"s": "missing", "m": error.message}
        if error.kind == "denied":
            return {"s": "denied", "m": error.message}
        raise
    body = response.get("Configuration")
    data = body.read() if hasattr(body, "read") else (body or b"")
    if not data:
        return {"s": "missing", "m": f"{where}: nothing deployed (empty configuration)"}
    outcome = {"s": "found", "ct": response.get("ContentType") or "", "vl": response.get("VersionLabel")}
    try:
        outcome["c"] = data.decode("utf-8")
    except UnicodeDecodeError:
        outcome["b"] = base64.b64encode(data).decode("ascii")
    return outcome


class Shaper:
    """Outcomes to lookup results; collects warnings."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = options
        self.warnings = []

    def value(self, profile: str, outcome: dict[str, Any]) -> Any:
        where = f"profile {profile} of {self.options['application']}/{self.options['environment']}"
        status = outcome["s"]
        if status == "found":
            if "b" in outcome:
                return base64.b64decode(outcome["b"])
            if self.options["parse"] == "text":
                return outcome["c"]
            return parse(outcome["c"].encode("utf-8"), outcome["ct"], field=where)
        if status == "missing":
            action = self.options["on_missing"]
            if self.options.get("default_given") and action == "error":
                action = "skip"
            if action == "error":
                raise KeelAWSError("missing", outcome["m"])
            if action == "warn":
                self.warnings.append(f"skipped: {outcome['m']}")
            return self.options.get("default")
        if status == "denied":
            raise KeelAWSError("denied", f"access denied: {outcome['m']}")
        raise KeelAWSError(outcome.get("k", "error"), outcome.get("m") or f"{where}: fetch failed")
