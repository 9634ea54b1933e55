# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options and notes shared by the AppConfig modules and lookup, documented once:
DOCUMENTATION for the resource modules (with keel.ssm.aws.tags), APPLICATION and ENVIRONMENT for whatever names
one (keel.ssm.appconfig.application, keel.ssm.appconfig.environment)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  description:
    description:
      - Description, at most 1024 characters. V("") clears it; unset leaves it alone.
    type: str
notes:
  - Every option is checked against AppConfig's rules (lengths, patterns, enums and limits of
    botocore's service model, plus the documented rules) before any call. A failure names the
    option and the rule, and nothing is written.
  - Resources are found by name. AppConfig does not keep names unique, so two resources with the
    same name fail the task and ask for an ID.
  - Reading tags of an existing resource builds its ARN, which asks STS C(GetCallerIdentity) once.
  - Supports check mode and diff mode.
"""

    APPLICATION = r"""
options:
  application:
    description:
      - The application, by name or ID.
    type: str
    required: true
"""

    ENVIRONMENT = r"""
options:
  environment:
    description:
      - The environment, by name or ID.
    type: str
    required: true
"""
