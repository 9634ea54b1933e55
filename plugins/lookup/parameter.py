# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: parameter
short_description: Read Parameter Store values, batched and cached across hosts and forks
version_added: 0.1.0
description:
  - Returns the value of each Parameter Store name given as a term (O(bypath=false)), or a
    dictionary of name to value for each path given as a term (O(bypath=true)).
  - A name may carry a selector, C(name:VERSION) or C(name:LABEL).
  - Names requested in one call are fetched with C(GetParameters), 10 per call; paths with
    the C(GetParametersByPath) paginator.
  - Within one C(ansible-playbook) run, a value fetched for one host is reused for every other
    host and fork of the run, through a per-run cache broker process (memory only, same user
    only, gone when the run ends). Concurrent forks asking for the same names wait for one
    fetch instead of each calling AWS. If the broker cannot be used, each fork keeps its own
    in-memory cache instead. See the collection README for the mechanism and its guarantees.
  - Values are a snapshot taken at the first read in the run. To read a value that a task of
    the same run has just written, use O(cache=false) (or a version selector).
  - Nothing decrypted is ever printed by this lookup, in warnings, errors or at any verbosity.
    Tasks that print their own arguments or results (M(ansible.builtin.debug),
    M(ansible.builtin.set_fact) at C(-v), C(--diff) of a template) still need C(no_log).
  - Terms and options are checked before any API call; a bad one fails with a message that
    names it.
options:
  _terms:
    description:
      - Parameter names (optionally with C(:VERSION) or C(:LABEL)) or, with O(bypath=true),
        paths. A list given as one term is flattened, so C(query('keel.ssm.parameter', names))
        works.
    required: true
    type: list
    elements: raw
  decrypt:
    description:
      - Decrypt SecureString values. With V(false) a SecureString returns its encrypted form.
    type: bool
    default: true
  bypath:
    description:
      - Treat each term as a path and return a dictionary of every parameter under it.
    type: bool
    default: false
  recursive:
    description:
      - With O(bypath=true), also return parameters in levels below the path.
    type: bool
    default: false
  shortnames:
    description:
      - With O(bypath=true), key the dictionary by the last level of each name only
        (C(param) for C(/path/to/param)). Fails when two names share a last level.
      - Mutually exclusive with O(droppath).
    type: bool
    default: false
  droppath:
    description:
      - With O(bypath=true), key the dictionary by each name with the searched path removed
        (C(to/param) for C(/path/to/param) searched under C(/path)).
      - Mutually exclusive with O(shortnames).
    type: bool
    default: false
  on_missing:
    description:
      - What to do when a name does not exist (or a path holds no parameters).
      - V(error) fails, V(skip) returns O(default) (V(null) unless set; an empty dictionary for
        a path), V(warn) does the same and prints a warning that names the parameter.
    type: str
    choices: [error, skip, warn]
    default: error
  on_denied:
    description:
      - What to do when access to a name or path is denied (IAM or KMS).
      - V(error) fails, V(skip) returns V(null) (an empty dictionary for a path), V(warn) does the
        same and prints a warning that names the parameter.
    type: str
    choices: [error, skip, warn]
    default: error
  default:
    description:
      - Value returned for a name that does not exist. Setting it makes a missing name not an
        error (with O(on_missing=warn) a warning is still printed). Not allowed with O(bypath).
    type: raw
  json:
    description:
      - Decode every value as JSON (for feature flags or structured settings stored as JSON).
        A value that is not valid JSON fails with a message that names the parameter.
    type: bool
    default: false
  cache:
    description:
      - Use the run-scoped cache shared by all hosts and forks. V(false) always asks AWS and
        leaves the cache untouched.
      - Writes, labels, deletes and prunes made in the same run by M(keel.ssm.parameter) and
        M(keel.ssm.parameter_tree) drop the cached answers they touch (the names, and any cached
        path holding them), on every host and fork, so later lookups read the new state. Changes
        made by anything else during the run (another module, the AWS CLI, the console) are not
        seen, so give those reads V(false).
    type: bool
    default: true
  cache_ttl:
    description:
      - V(0) (default) keeps values for the current run only. A number of seconds instead keeps
        values, in memory, in a per-user broker that later runs of the same user reuse until they
        are that old. Only for values that may be stale that long.
    type: int
    default: 0
extends_documentation_fragment:
  - keel.ssm.aws
  - keel.ssm.aws.plugins
notes:
  - Runs on the controller (or, under C(AWS-ApplyAnsiblePlaybooks), on the instance itself);
    boto3 and botocore are needed there. Works with ansible-core 2.14 and later.
  - "The run cache: the first lookup of a run starts a small broker process (Python standard
    library only) listening on a Unix socket C(run-<pid>-<start>.sock) in C($XDG_RUNTIME_DIR/keel-ssm)
    or C(<tmp>/keel-ssm-<uid>), a directory created with mode 0700 and refused unless it is owned by
    the user with no group or other access. The broker answers only its own user (checked with
    C(SO_PEERCRED) on Linux), keeps values in memory only, never holds AWS credentials and never
    calls AWS: the forks fetch, the broker remembers and makes concurrent forks wait for one fetch.
    It refuses core dumps and ptrace by the user's other processes, and exits within a second of
    the C(ansible-playbook) process."
  - The cache key is the connection identity (profile, region, endpoint, keys, hashed, plus the
    AWS_* environment), the name with its selector or the path with O(recursive), and O(decrypt).
  - Failed fetches (throttled beyond botocore's retries, unreachable endpoint) are not cached;
    missing and denied names are, for the run.
seealso:
  - name: GetParameters API
    description: Batch read of up to 10 parameters.
    link: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameters.html
"""

EXAMPLES = r"""
- name: Render a configuration file from Parameter Store (one fetch for the whole fleet)
  ansible.builtin.template:
    src: app.conf.j2
    dest: /etc/app/app.conf
    mode: "0600"
  # app.conf.j2:
  #   {% set db = query('keel.ssm.parameter', '/app/prod/db/host', '/app/prod/db/password') %}
  #   host = {{ db[0] }}
  #   password = {{ db[1] }}

- name: One value, a pinned version and a labelled version
  ansible.builtin.set_fact:
    app_port: "{{ lookup('keel.ssm.parameter', '/app/prod/port') }}"
    app_release: "{{ lookup('keel.ssm.parameter', '/app/prod/release:3') }}"
    app_flags: "{{ lookup('keel.ssm.parameter', '/app/prod/flags:stable', json=true) }}"

- name: Everything under a path, keyed relative to it (db/host, port, ...)
  ansible.builtin.set_fact:
    app_settings: "{{ lookup('keel.ssm.parameter', '/app/prod', bypath=true, recursive=true, droppath=true) }}"
  no_log: true  # set_fact prints its result at -v

- name: An optional parameter with a default, warning when it is missing
  ansible.builtin.set_fact:
    log_level: "{{ lookup('keel.ssm.parameter', '/app/prod/log_level', default='info', on_missing='warn') }}"

- name: Against a VPC endpoint or a local emulator, in another region
  ansible.builtin.set_fact:
    greeting: "{{ lookup('keel.ssm.parameter', 'greeting', region='eu-west-1', endpoint_url='http://127.0.0.1:5000') }}"
"""

RETURN = r"""
_raw:
  description:
    - One entry per term. By name, the value (a string; decoded JSON with O(json=true);
      O(default) or V(null) for a skipped name). With O(bypath=true), a dictionary of
      parameter name (full, short or relative) to value.
    - Values are marked unsafe, so Jinja in a value is never evaluated.
  type: list
  elements: raw
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.keel.ssm.plugins.module_utils.aws.connection import (
    CONNECTION_KEYS,
    connection_params,
)
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelError, redact
from ansible_collections.keel.ssm.plugins.plugin_utils import parameter_lookup as pl
from ansible_collections.keel.ssm.plugins.plugin_utils import run_cache
from ansible_collections.keel.ssm.plugins.plugin_utils.aws_clients import cached_client
from ansible_collections.keel.ssm.plugins.plugin_utils.unsafe import wrap_var

display = Display()

LOOKUP_OPTIONS = (
    "decrypt",
    "bypath",
    "recursive",
    "shortnames",
    "droppath",
    "on_missing",
    "on_denied",
    "json",
    "cache",
    "cache_ttl",
)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        options = {name: self.get_option(name) for name in LOOKUP_OPTIONS}
        default_given = "default" in kwargs
        secrets = []
        try:
            checked = pl.check_request(terms, options, default_given=default_given)
            params = connection_params({key: self.get_option(key) for key in CONNECTION_KEYS})
            if not checked:
                return []
            shaper = pl.Shaper(options, default=self.get_option("default"), default_given=default_given)
            secrets = shaper.secrets  # filled as values are shaped: every message is redacted with it
            outcomes = self._outcomes(checked, options, params)
            if options["bypath"]:
                results = [shaper.by_path(term, outcomes[term.key]) for term in checked]
            else:
                results = [shaper.by_name(term, outcomes[term.key]) for term in checked]
            for warning in shaper.warnings:
                display.warning(f"keel.ssm.parameter: {redact(warning, secrets)}")
        except KeelError as exc:
            raise AnsibleLookupError(f"keel.ssm.parameter: {redact(str(exc), secrets)}") from None
        return wrap_var(results)

    def _outcomes(self, checked, options, params):
        """{key: outcome} for every term, through the cache unless cache=false."""
        ttl = options["cache_ttl"] or 0
        identity = pl.cache_identity(params)
        decrypt = options["decrypt"]
        by_key = {}
        for term in checked:
            if options["bypath"]:
                term.key = pl.path_key(identity, decrypt, options["recursive"], term, ttl)
            else:
                term.key = pl.name_key(identity, decrypt, term, ttl)
            by_key[term.key] = term

        def client():
            return cached_client(params, identity, "ssm")

        def fetch(keys):
            if options["bypath"]:
                return {key: pl.fetch_path(client(), by_key[key].name, options["recursive"], decrypt) for key in keys}
            requested = {by_key[key].requested: key for key in keys}
            found = pl.fetch_names(client(), list(requested), decrypt)
            return {key: found[name] for name, key in requested.items()}

        if not options["cache"]:
            outcomes = fetch(list(by_key))
            display.vvv(f"keel.ssm.parameter: {len(by_key)} term(s) fetched without the cache")
            return outcomes
        outcomes, stats = run_cache.get_many(list(by_key), fetch, pl.failure_outcome, ttl=ttl or None)
        display.vvv(f"keel.ssm.parameter: {len(by_key)} term(s): {stats}")
        return outcomes
