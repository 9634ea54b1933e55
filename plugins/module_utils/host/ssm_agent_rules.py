# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input rules of the keel.ssm.ssm_agent role and its modules, in one place.

The role checks every setting through plugin_utils/role_rules.py (the way every role
checks its settings) before it changes anything; the modules reuse the same rules for
their own options. Messages name
the variable and the rule; they never contain the activation code.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

PREFIX = "keel_ssm_agent_"
# Activation id and code limits come from the SSM service model (CreateActivation output).
ACTIVATION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ACTIVATION_CODE_MIN = 20
ACTIVATION_CODE_MAX = 250
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")
VERSION = re.compile(r"^[0-9]+(\.[0-9]+){3}$")
CHECKSUM = re.compile(r"^(sha256:[0-9a-fA-F]{64}|sha512:[0-9a-fA-F]{128})$")
FINGERPRINT = re.compile(r"^([0-9A-F]{40}|[0-9A-F]{64})$")
# Values end up inside Environment="..." in a systemd unit: no blanks, quotes or backslashes.
URL = re.compile(r"^https?://[^\s\"'\\]+$")
NO_PROXY_ENTRY = re.compile(r"^[^\s,\"'\\]+$")
ARMORED_KEY = "-----BEGIN PGP PUBLIC KEY BLOCK-----"


def normalize_fingerprint(text: Any) -> str:
    """'8108 A07A ...' or '8108a07a...' -> '8108A07A...' (unchecked)."""
    return re.sub(r"\s+", "", str(text or "")).upper()


def activation_problems(
    code: str | None, activation_id: str | None, region: str | None, prefix: str = PREFIX
) -> list[str]:
    """Rules for a hybrid activation: both or neither, well-formed, with a region."""
    code = code or ""
    activation_id = activation_id or ""
    if not code and not activation_id:
        return []
    if not code or not activation_id:
        given, missing = ("activation_id", "activation_code") if activation_id else ("activation_code", "activation_id")
        return [f"{prefix}{given} is set but {prefix}{missing} is empty: give both or neither"]
    problems = []
    if not ACTIVATION_ID.match(activation_id):
        problems.append(
            f"{prefix}activation_id {activation_id!r}: expected a lower-case UUID (as CreateActivation returns)"
        )
    if not ACTIVATION_CODE_MIN <= len(code) <= ACTIVATION_CODE_MAX or any(c.isspace() for c in code):
        problems.append(
            f"{prefix}activation_code: expected {ACTIVATION_CODE_MIN}-{ACTIVATION_CODE_MAX} characters without "
            "blanks (value not shown)"
        )
    if not region:
        problems.append(f"{prefix}region: required to register a hybrid activation")
    elif not REGION.match(region):
        problems.append(f"{prefix}region {region!r}: expected an AWS Region name such as eu-west-1")
    return problems


def _str(settings, name):
    value = settings.get(PREFIX + name, "")
    return "" if value is None else str(value)


def _package_problems(settings):
    problems = []
    version = _str(settings, "version")
    if version != "latest" and not VERSION.match(version):
        problems.append(f"{PREFIX}version {version!r}: expected 'latest' or an agent version such as 3.3.1142.0")
    checksum = _str(settings, "package_checksum")
    if checksum:
        if not CHECKSUM.match(checksum):
            problems.append(f"{PREFIX}package_checksum: expected sha256:<64 hex> or sha512:<128 hex>")
        elif version == "latest":
            problems.append(
                f"{PREFIX}package_checksum pins one file: set {PREFIX}version to the version it belongs to "
                "('latest' changes whenever AWS publishes a release)"
            )
    key = _str(settings, "signature_key")
    fingerprint = normalize_fingerprint(_str(settings, "signature_fingerprint"))
    if bool(key) != bool(fingerprint):
        problems.append(
            f"{PREFIX}signature_key and {PREFIX}signature_fingerprint go together: the key says how to verify, "
            "the fingerprint says which key to trust"
        )
    if key and ARMORED_KEY not in key:
        problems.append(f"{PREFIX}signature_key: expected an ASCII-armored OpenPGP public key block ({ARMORED_KEY})")
    if fingerprint and not FINGERPRINT.match(fingerprint):
        problems.append(f"{PREFIX}signature_fingerprint: expected 40 (v4) or 64 (v5) hexadecimal digits")
    verified = bool(checksum or key)
    base_url = _str(settings, "package_base_url")
    if base_url:
        if not URL.match(base_url):
            problems.append(
                f"{PREFIX}package_base_url {base_url!r}: expected an http(s):// URL without blanks or quotes"
            )
        elif base_url.startswith("http://") and not verified:
            problems.append(
                f"{PREFIX}package_base_url is plain http://: set {PREFIX}package_checksum or {PREFIX}signature_key, "
                "nothing else would detect a tampered download"
            )
    if settings.get(PREFIX + "require_verification") and not verified:
        problems.append(
            f"{PREFIX}require_verification is true: set {PREFIX}package_checksum (with a pinned version) "
            f"and/or {PREFIX}signature_key with {PREFIX}signature_fingerprint"
        )
    return problems


def _proxy_problems(settings):
    problems = []
    for name in ("http_proxy", "https_proxy"):
        value = _str(settings, name)
        if value and not URL.match(value):
            problems.append(f"{PREFIX}{name} {value!r}: expected http://host:port or https://host:port")
    for index, entry in enumerate(settings.get(PREFIX + "no_proxy") or []):
        if not NO_PROXY_ENTRY.match(str(entry)):
            problems.append(f"{PREFIX}no_proxy[{index}] {entry!r}: one host, domain or address per entry, no blanks")
    return problems


def _config_problems(settings):
    problems = []
    for name in ("config_defaults", "config"):
        value = settings.get(PREFIX + name) or {}
        if not isinstance(value, dict):
            problems.append(f"{PREFIX}{name}: expected a dict of amazon-ssm-agent.json sections")
            continue
        for section, body in value.items():
            if not isinstance(body, dict):
                problems.append(f"{PREFIX}{name}.{section}: every amazon-ssm-agent.json section is an object")
    region = _str(settings, "region")
    if region and not REGION.match(region):
        problems.append(f"{PREFIX}region {region!r}: expected an AWS Region name such as eu-west-1")
    config = settings.get(PREFIX + "config") or {}
    agent = config.get("Agent") if isinstance(config, dict) else None
    configured = agent.get("Region") if isinstance(agent, dict) else None
    if region and configured and configured != region:
        problems.append(
            f"{PREFIX}config.Agent.Region {configured!r} contradicts {PREFIX}region {region!r}: set one of them"
        )
    return problems


def settings_problems(settings: Mapping[str, Any]) -> list[str]:
    """Every rule the argument spec cannot express, for the role's settings by full name."""
    problems = _package_problems(settings) + _proxy_problems(settings) + _config_problems(settings)
    problems += [
        problem
        for problem in activation_problems(
            _str(settings, "activation_code"), _str(settings, "activation_id"), _str(settings, "region")
        )
        # the region rule is already reported above
        if not problem.startswith(f"{PREFIX}region ")
    ]
    return problems
