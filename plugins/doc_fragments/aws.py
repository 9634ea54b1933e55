# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS connection options, documented once for every keel.ssm plugin.

Names, aliases and environment variables match amazon.aws so playbooks can switch
without renaming anything. The module argument spec in
plugins/module_utils/aws/connection.py is checked against this text by a unit test.
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  profile:
    description:
      - Named AWS profile (from C(~/.aws/config) / C(~/.aws/credentials)).
      - Mutually exclusive with O(access_key), O(secret_key) and O(session_token).
      - When unset, the first of E(AWS_PROFILE), E(AWS_DEFAULT_PROFILE) that is set
        (on the host that runs the module or lookup).
    type: str
    aliases: [aws_profile]
  region:
    description:
      - AWS region of the Systems Manager endpoint.
      - When unset, the first of E(AWS_REGION), E(AWS_DEFAULT_REGION), E(EC2_REGION) that is set
        (on the host that runs the module or lookup).
    type: str
    aliases: [aws_region, ec2_region]
  endpoint_url:
    description:
      - URL of the Systems Manager endpoint, for VPC endpoints or a local emulator
        such as a moto server.
      - When unset, the first of E(AWS_URL), E(EC2_URL) that is set (on the host that runs the module or lookup);
        then boto3's own E(AWS_ENDPOINT_URL_SSM) and E(AWS_ENDPOINT_URL).
    type: str
    aliases: [aws_endpoint_url, endpoint]
  access_key:
    description:
      - AWS access key ID.
      - When unset, the first of E(AWS_ACCESS_KEY_ID), E(AWS_ACCESS_KEY), E(EC2_ACCESS_KEY) that is set
        (on the host that runs the module or lookup).
    type: str
    aliases: [aws_access_key_id, aws_access_key, ec2_access_key]
  secret_key:
    description:
      - AWS secret access key. Never logged.
      - When unset, the first of E(AWS_SECRET_ACCESS_KEY), E(AWS_SECRET_KEY), E(EC2_SECRET_KEY) that is set
        (on the host that runs the module or lookup).
    type: str
    aliases: [aws_secret_access_key, aws_secret_key, ec2_secret_key]
  session_token:
    description:
      - AWS session token for temporary credentials. Never logged.
      - When unset, the first of E(AWS_SESSION_TOKEN), E(AWS_SECURITY_TOKEN), E(EC2_SECURITY_TOKEN) that is set
        (on the host that runs the module or lookup).
    type: str
    aliases: [aws_session_token, aws_security_token, security_token, access_token]
  validate_certs:
    description:
      - Verify TLS certificates of the endpoint.
    type: bool
    default: true
    aliases: [verify_ssl]
  retry_mode:
    description:
      - botocore retry mode. V(standard) retries throttling (C(ThrottlingException)),
        transient and connection errors with jittered exponential backoff.
        V(adaptive) adds client-side rate limiting, useful above the 40 TPS default quota.
    type: str
    choices: [standard, adaptive]
    default: standard
  max_attempts:
    description:
      - Total attempts per API call, first try included (botocore C(total_max_attempts)).
    type: int
    default: 10
notes:
  - Credentials are resolved by botocore in its usual order when not given
    (environment, shared files, container or instance role).
requirements:
  - python >= 3.9
  - boto3 >= 1.26.0
  - botocore >= 1.29.0
"""
    # Lookups and other controller plugins also declare the variables, so ansible-doc lists
    # them under "env" (modules may not: their environment is the managed host's).
    PLUGINS = r"""
options:
  profile:
    env:
      - name: AWS_PROFILE
      - name: AWS_DEFAULT_PROFILE
  region:
    env:
      - name: AWS_REGION
      - name: AWS_DEFAULT_REGION
      - name: EC2_REGION
  endpoint_url:
    env:
      - name: AWS_URL
      - name: EC2_URL
  access_key:
    env:
      - name: AWS_ACCESS_KEY_ID
      - name: AWS_ACCESS_KEY
      - name: EC2_ACCESS_KEY
  secret_key:
    env:
      - name: AWS_SECRET_ACCESS_KEY
      - name: AWS_SECRET_KEY
      - name: EC2_SECRET_KEY
  session_token:
    env:
      - name: AWS_SESSION_TOKEN
      - name: AWS_SECURITY_TOKEN
      - name: EC2_SECURITY_TOKEN
"""

    # Tags on any SSM or AppConfig resource (module_utils/aws/tagging.py), for the modules
    # that take them: keel.ssm.aws.tags.
    TAGS = r"""
options:
  tags:
    description:
      - Tags of the resource as a mapping. Values are stored as strings.
      - When unset, tags are left alone.
    type: dict
  purge_tags:
    description:
      - Remove tags that are not in O(tags). Only used when O(tags) is set.
    type: bool
    default: true
"""
