# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
name: appconfig
short_description: Read AWS AppConfig configurations and feature flags, once per run for the whole fleet
version_added: 0.2.0
description:
  - Returns the configuration deployed to O(environment) for each configuration profile given
    as a term (a name or an ID), read the way the AppConfig Agent reads it. The lookup starts a
    session (C(StartConfigurationSession)), then makes one C(GetLatestConfiguration) call with its
    token.
  - The configuration is parsed by its content type. JSON and YAML become data, text stays text,
    anything else comes back as bytes. A feature-flags profile returns one entry per flag, with its
    C(enabled) value and, for an enabled flag, its attributes.
  - Within one C(ansible-playbook) run the configuration is read once for every host and fork,
    through the same per-run cache broker as P(keel.ssm.parameter#lookup). Forty hosts reading one
    profile make one session start and one configuration read.
  - Nothing read is ever printed by this lookup, in warnings, errors or at any verbosity. A
    configuration that does not parse fails with the parser's position only.
  - Options and terms are checked before any API call; a bad one fails with a message that names it.
options:
  _terms:
    description:
      - Configuration profile names or IDs. A list given as one term is flattened.
    required: true
    type: list
    elements: str
  parse:
    description:
      - V(auto) parses by content type (JSON, YAML, text). V(text) returns the configuration as text.
    type: str
    choices: [auto, text]
    default: auto
  on_missing:
    description:
      - What to do when the application, environment or profile does not exist, or nothing is
        deployed there yet.
      - V(error) fails, V(skip) returns O(default) (V(null) unless set), V(warn) does the same and
        prints a warning naming the profile.
    type: str
    choices: [error, skip, warn]
    default: error
  default:
    description:
      - Value returned for a missing configuration. Setting it makes a missing configuration not an
        error (with O(on_missing=warn) a warning is still printed).
    type: raw
  cache:
    description:
      - Use the run-scoped cache shared by all hosts and forks. V(false) always reads from AppConfig.
    type: bool
    default: true
extends_documentation_fragment:
  - keel.ssm.aws
  - keel.ssm.aws.plugins
  - keel.ssm.appconfig.application
  - keel.ssm.appconfig.environment
notes:
  - Runs on the controller; boto3 and botocore are needed there. Works with ansible-core 2.14 and later.
  - O(endpoint_url) is the AppConfig Data endpoint (C(appconfigdata.REGION.amazonaws.com) on AWS).
    When unset, boto3's C(AWS_ENDPOINT_URL_APPCONFIGDATA) and C(AWS_ENDPOINT_URL) apply.
  - The cache key is the connection identity, the application, the environment and the profile
    as given. Failed reads are not cached. Missing configurations are, for the run.
  - The configuration is a snapshot taken at the first read in the run. A deployment that
    completes later in the same run is seen with O(cache=false).
seealso:
  - ref: ansible_collections.keel.ssm.parameter_lookup
    description: The keel.ssm.parameter lookup, for values kept in Parameter Store.
  - module: keel.ssm.appconfig_profile
  - name: GetLatestConfiguration API
    description: How AppConfig serves a deployed configuration.
    link: https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_appconfigdata_GetLatestConfiguration.html
"""

EXAMPLES = r"""
- name: Render the [features] section from the deployed feature flags (one read for the whole fleet)
  ansible.builtin.template:
    src: app.conf.j2
    dest: /etc/app/app.conf
    mode: "0644"
  # app.conf.j2:
  #   {% set flags = lookup('keel.ssm.appconfig', 'feature-flags', application='payments', environment='production') %}
  #   [features]
  #   {% for name, flag in flags | dictsort %}
  #   {{ name }} = {{ flag.enabled | lower }}
  #   {% endfor %}

- name: A freeform JSON configuration and a YAML one
  ansible.builtin.set_fact:
    limits: "{{ lookup('keel.ssm.appconfig', 'limits', application='payments', environment='production') }}"
    routes: "{{ lookup('keel.ssm.appconfig', 'routes', application='payments', environment='production') }}"

- name: An optional profile, with a default and a warning when nothing is deployed
  ansible.builtin.set_fact:
    banner: "{{ lookup('keel.ssm.appconfig', 'banner', application='payments', environment='staging',
                parse='text', default='', on_missing='warn') }}"
"""

RETURN = r"""
_raw:
  description:
    - One entry per term, the parsed configuration (O(default) for a skipped one).
      For a feature-flags profile, a mapping of flag key to C(enabled) and the flag's attributes.
    - Values are marked unsafe, so Jinja in a configuration is never evaluated.
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
from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelError
from ansible_collections.keel.ssm.plugins.plugin_utils import appconfig_lookup as al
from ansible_collections.keel.ssm.plugins.plugin_utils import run_cache
from ansible_collections.keel.ssm.plugins.plugin_utils.aws_clients import cached_client
from ansible_collections.keel.ssm.plugins.plugin_utils.parameter_lookup import (
    cache_identity,
    failure_outcome,
)
from ansible_collections.keel.ssm.plugins.plugin_utils.unsafe import wrap_var

display = Display()
LOOKUP_OPTIONS = ("application", "environment", "parse", "on_missing", "cache")


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        options = {name: self.get_option(name) for name in LOOKUP_OPTIONS}
        options.update(default=self.get_option("default"), default_given="default" in kwargs)
        try:
            profiles = al.check_request(terms, options)
            params = connection_params({key: self.get_option(key) for key in CONNECTION_KEYS})
            if not profiles:
                return []
            outcomes = self._outcomes(profiles, options, params)
            shaper = al.Shaper(options)
            results = [shaper.value(profile, outcomes[profile]) for profile in profiles]
            for warning in shaper.warnings:
                display.warning(f"keel.ssm.appconfig: {warning}")
        except KeelError as exc:
            raise AnsibleLookupError(f"keel.ssm.appconfig: {exc}") from None
        return wrap_var(results)

    def _outcomes(self, profiles, options, params):
        """{profile: outcome}, through the run cache unless cache=false."""
        identity = cache_identity(params)
        application, environment = options["application"], options["environment"]
        by_key = {al.cache_key(identity, application, environment, profile): profile for profile in profiles}

        def fetch(keys):
            client = cached_client(params, identity, "appconfigdata")
            return {key: al.fetch(client, application, environment, by_key[key]) for key in keys}

        if options["cache"]:
            outcomes, stats = run_cache.get_many(list(by_key), fetch, failure_outcome)
            display.vvv(f"keel.ssm.appconfig: {len(by_key)} profile(s): {stats}")
        else:
            outcomes = fetch(list(by_key))
            display.vvv(f"keel.ssm.appconfig: {len(by_key)} profile(s) read without the cache")
        return {by_key[key]: outcome for key, outcome in outcomes.items()}
