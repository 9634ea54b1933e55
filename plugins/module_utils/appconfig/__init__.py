# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS AppConfig: the service's rules (checked before any call), configuration content
(parsing, JSON Schema validators, the feature-flags format), the calls, and the one
reconcile loop the resource modules share.

rules      names, descriptions, ARNs, location URIs, strategies, versions
content    content types, parsing, JSON Schema and AWS.AppConfig.FeatureFlags checks
api        the AppConfig calls (paginated lists, find by name, tags by ARN)
resources  find -> compare -> create/update/delete -> tags, with check and diff mode
deployments  start, follow, stop a deployment and explain a rollback
"""
