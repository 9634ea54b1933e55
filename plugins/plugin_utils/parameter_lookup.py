# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the keel.ssm.parameter lookup does, apart from Ansible's plugin plumbing:
check terms and options, build cache keys, fetch from Parameter Store, and shape
the results.

Outcomes (what the cache stores and forks exchange) are small JSON dicts:
  {"s": "found", "v": value, "t": type}      a parameter read by name
  {"s": "found", "p": [[name, value, type]]} every parameter under a path
  {"s": "missing"}                            GetParameters listed it as invalid
  {"s": "denied", "m": message}               AccessDenied for this name or path
  {"s": "error", "k": kind, "m": message}     a failed fetch, handed to waiting forks
Messages never carry a value; errors built here name terms and parameters only.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Callable, Dict, Iterable, Mapping

from ansible_collections.keel.ssm.plugins.module_utils.aws.connection import connection_identity
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelAWSError, KeelError, KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.names import (
    check_parameter_path,
    split_selector,
)
from ansible_collections.keel.ssm.plugins.module_utils.parameter_store.read import (
    GET_PARAMETERS_BATCH,
    get_parameters,
    get_parameters_by_path,
)
from ansible_collections.keel.ssm.plugins.plugin_utils import cache_keys

ACTIONS = ("error", "skip", "warn")
MAX_CACHE_TTL = 86400
SECURE = "SecureString"


# What the cache stores and forks exchange (see the module docstring).
Outcome = Dict[str, Any]


class Term:
    """One requested name (with its selector) or path."""

    __slots__ = ("key", "name", "requested", "selector", "text")

    def __init__(self, text: str, name: str, selector: str | None = None) -> None:
        self.text = text
        self.name = name
        self.selector = selector
        self.requested = name + (selector or "")
        self.key = None


def flatten_terms(terms: Iterable[Any]) -> list[Any]:
    """query('keel.ssm.parameter', names_list) passes one list term: accept it."""
    flat = []
    for term in terms:
        if isinstance(term, (list, tuple)):
            flat.extend(term)
        else:
            flat.append(term)
    return flat


def check_request(terms: Iterable[Any], options: Mapping[str, Any], default_given: bool = False) -> list[Term]:
    """Validate every term and the option combination; returns [Term]."""
    for option in ("on_missing", "on_denied"):
        if options[option] not in ACTIONS:
            raise KeelRuleError(f"{option}: must be one of {', '.join(ACTIONS)}, got {options[option]!r}")
    bypath = bool(options["bypath"])
    if options["shortnames"] and options["droppath"]:
        raise KeelRuleError("shortnames and droppath: mutually exclusive, choose one")
    if not bypath:
        for option in ("recursive", "shortnames", "droppath"):
            if options[option]:
                raise KeelRuleError(f"{option}: only applies with bypath=true")
    elif default_given:
        raise KeelRuleError("default: only applies to names, not with bypath=true (a missing path gives {})")
    ttl = options.get("cache_ttl") or 0
    if not isinstance(ttl, int) or not 0 <= ttl <= MAX_CACHE_TTL:
        raise KeelRuleError(f"cache_ttl: must be an integer from 0 to {MAX_CACHE_TTL} seconds, got {ttl!r}")
    if ttl and not options.get("cache", True):
        raise KeelRuleError("cache_ttl: cannot be combined with cache=false")

    checked = []
    for text in flatten_terms(terms):
        if not isinstance(text, str):
            raise KeelRuleError(f"term {text!r}: must be a string (a parameter name or path)")
        if bypath:
            if ":" in text:
                raise KeelRuleError(f"term {text!r}: a path takes no ':version' or ':label' selector")
            checked.append(Term(text, check_parameter_path(text, field="term")))
        else:
            name, selector = split_selector(text)
            checked.append(Term(text, name, selector))
    return checked


# -- cache keys -------------------------------------------------------------------------------
def cache_identity(params: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> str:
    """connection_identity plus every AWS_* environment variable (hashed): forks of one
    run share an environment; runs that differ in credentials or endpoints from the
    environment never share a key in the TTL cache."""
    environ = os.environ if environ is None else environ
    material = "\0".join(f"{k}={v}" for k, v in sorted(environ.items()) if k.startswith("AWS_"))
    digest = hashlib.sha256(f"{connection_identity(params)}\0{material}".encode()).hexdigest()
    return digest[:32]


def name_key(identity: str, decrypt: bool, term: Term, ttl: int = 0) -> str:
    return cache_keys.name_key(identity, decrypt, term.requested, ttl)


def path_key(identity: str, decrypt: bool, recursive: bool, term: Term, ttl: int = 0) -> str:
    return cache_keys.path_key(identity, decrypt, recursive, term.name, ttl)


# -- fetching ---------------------------------------------------------------------------------
def _found(parameter):
    return {"s": "found", "v": parameter["Value"], "t": parameter.get("Type", "String")}


def plan_batches(requested: Iterable[str]) -> list[list[str]]:
    """Batches of at most 10 in which no parameter name appears twice (say, 'db' and
    'db:3'), so every result maps to the one request that produced it even when the
    response carries no "Selector" (moto's does not)."""
    batches = []
    for name in dict.fromkeys(requested):
        base = name.partition(":")[0]
        for batch, bases in batches:
            if len(batch) < GET_PARAMETERS_BATCH and base not in bases:
                batch.append(name)
                bases.add(base)
                break
        else:
            batches.append(([name], {base}))
    return [batch for batch, _bases in batches]


def fetch_names(
    client: Any, requested: list[str], decrypt: bool, on_call: Callable[[str, int], None] | None = None
) -> dict[str, Outcome]:
    """{requested: outcome} for names with optional selectors, 10 per GetParameters.

    GetParameters fails a whole batch when one name is denied: such a batch is asked
    again name by name, so only the denied names get the denied outcome.
    """
    outcomes = {}
    for batch in plan_batches(requested):
        try:
            found, invalid = get_parameters(client, batch, decrypt=decrypt, on_call=on_call)
        except KeelAWSError as exc:
            if exc.kind != "denied":
                raise
            if len(batch) == 1:
                outcomes[batch[0]] = {"s": "denied", "m": exc.message}
                continue
            outcomes.update(fetch_names_one_by_one(client, batch, decrypt, on_call))
            continue
        outcomes.update({name: _found(parameter) for name, parameter in found.items()})
        outcomes.update({name: {"s": "missing"} for name in invalid})
    return outcomes


def fetch_names_one_by_one(
    client: Any, names: list[str], decrypt: bool, on_call: Callable[[str, int], None] | None = None
) -> dict[str, Outcome]:
    outcomes = {}
    for name in names:
        outcomes.update(fetch_names(client, [name], decrypt, on_call))
    return outcomes


def fetch_path(
    client: Any, path: str, recursive: bool, decrypt: bool, on_call: Callable[[str, int], None] | None = None
) -> Outcome:
    try:
        parameters = get_parameters_by_path(client, path, recursive=recursive, decrypt=decrypt, on_call=on_call)
    except KeelAWSError as exc:
        if exc.kind != "denied":
            raise
        return {"s": "denied", "m": exc.message}
    return {"s": "found", "p": [[p["Name"], p["Value"], p.get("Type", "String")] for p in parameters]}


def failure_outcome(exc: BaseException) -> Outcome:
    """What forks waiting on a failed fetch receive. Our own errors name parameters only;
    anything else is passed on by type, its text unseen."""
    if isinstance(exc, KeelAWSError):
        return {"s": "error", "k": exc.kind, "m": exc.message}
    if isinstance(exc, KeelError):
        return {"s": "error", "k": "error", "m": exc.message}
    return {"s": "error", "k": "error", "m": f"{type(exc).__name__} while fetching"}


# -- shaping ----------------------------------------------------------------------------------
class Shaper:
    """Turns outcomes into lookup results. Collects `warnings`, and `secrets` (the
    SecureString values seen) so the caller can redact any message it emits."""

    def __init__(self, options: Mapping[str, Any], default: Any = None, default_given: bool = False) -> None:
        self.options = options
        self.default = default
        self.default_given = default_given
        self.warnings = []
        self.secrets = []

    def _decode(self, where, value):
        if not self.options["json"]:
            return value
        try:
            return json.loads(value)
        except ValueError as exc:
            # The decoder's message and position only: never the text itself.
            detail = f"{exc.msg} at line {exc.lineno} column {exc.colno}" if hasattr(exc, "msg") else "not JSON"
            raise KeelRuleError(f"{where}: value is not valid JSON ({detail})") from None

    def _remember(self, value, kind):
        if kind == SECURE and value:
            self.secrets.append(value)

    def _not_there(self, action, kind, message, value):
        """`value` for skip and warn (warn also records `message`); error raises it."""
        if action == "error":
            raise KeelAWSError(kind, message)
        if action == "warn":
            self.warnings.append(f"skipped: {message}")
        return value

    def by_name(self, term: Term, outcome: Outcome) -> Any:
        status = outcome["s"]
        if status == "found":
            self._remember(outcome["v"], outcome.get("t"))
            return self._decode(f"parameter {term.requested}", outcome["v"])
        if status == "missing":
            action = self.options["on_missing"]
            if self.default_given and action == "error":
                action = "skip"
            return self._not_there(action, "missing", f"parameter {term.requested} not found", self.default)
        if status == "denied":
            return self._not_there(self.options["on_denied"], "denied", f"access denied: {outcome['m']}", None)
        raise KeelAWSError(outcome.get("k", "error"), outcome.get("m") or f"parameter {term.requested}: fetch failed")

    def by_path(self, term: Term, outcome: Outcome) -> dict[str, Any]:
        status = outcome["s"]
        if status == "denied":
            return self._not_there(self.options["on_denied"], "denied", f"access denied: {outcome['m']}", {})
        if status != "found":
            raise KeelAWSError(outcome.get("k", "error"), outcome.get("m") or f"path {term.name}: fetch failed")
        if not outcome["p"]:
            return self._not_there(self.options["on_missing"], "missing", f"no parameters under path {term.name}", {})
        result, origin = {}, {}
        for name, value, kind in outcome["p"]:
            self._remember(value, kind)
            key = self._result_name(term.name, name)
            if key in origin:
                raise KeelRuleError(
                    f"term {term.text!r}: shortnames gives {key!r} for both {origin[key]} and {name}; "
                    "use droppath or a narrower path"
                )
            origin[key] = name
            result[key] = self._decode(f"parameter {name}", value)
        return result

    def _result_name(self, path, name):
        if self.options["shortnames"]:
            return name.rsplit("/", 1)[-1]
        if self.options["droppath"]:
            prefix = path.rstrip("/") + "/"
            return name.removeprefix(prefix)
        return name
