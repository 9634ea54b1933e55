"""TEST DOUBLE: AWS AppConfig and AppConfig Data where moto 5.2.5 has nothing.

Plugged into the AwsProxy (tests/helpers/aws_proxy.py, `responder=`), in front of a moto
server. Every AppConfig and AppConfigData request is first checked against botocore's
service models (tests/helpers/service_model.py: required members, types, lengths,
ranges, enums, patterns); a request that breaks the model is answered with
BadRequestException and recorded in `violations`, so a test can assert there were none.

What moto 5.2.5 answers over HTTP (checked by running it) is forwarded to moto:
applications (create, get, update, delete), configuration profiles (create, get,
update, delete, list), hosted configuration versions (create, get, delete) and tags of
those. On the way the double adds what AppConfig does and moto does not: the
LatestVersionNumber lock on CreateHostedConfigurationVersion (ConflictException), and it
drops the "None" that moto sends for an unset Description or VersionLabel header.

What moto answers with 404 or 500 is modelled here, in memory, per region:
- ListApplications and ListHostedConfigurationVersions (moto: HTTP 500): from the IDs
  that went through the double, each read back from moto;
- environments with their alarm monitors, and their tags;
- deployment strategies, with AWS's predefined AppConfig.* strategies;
- deployments: one at a time per environment (ConflictException otherwise), validated
  by the profile's JSON Schema validators when they start, growing step by step as the
  strategy says (LINEAR: +growth factor per step; EXPONENTIAL: growth factor x 2^step)
  over the strategy's duration, then baking, then COMPLETE; a monitor alarm that fires
  during the deployment or the bake rolls it back (ROLLBACK_STARTED triggered by
  CLOUDWATCH_ALARM, ROLLING_BACK, then ROLLED_BACK), as does StopDeployment;
- AppConfig Data: StartConfigurationSession (names or IDs) and GetLatestConfiguration
  with single-use tokens, serving the latest deployment that is not rolled back, and a
  feature-flags profile in its simplified form ({flag: {enabled, attributes when
  enabled}}). A profile never deployed answers ResourceNotFoundException (our model).

Time is scaled: one AppConfig minute lasts `minute_seconds` (default 0.02 s), so a
20-minute canary takes 0.4 s. Alarms are driven by the test: set_alarm(arn) now, or
fire_alarm_at(arn, percentage) when a deployment reaches that percentage.
"""

from __future__ import annotations

import copy
import datetime
import http.client
import json
import math
import secrets
import threading
import time
import urllib.parse

from tests.helpers.service_model import ModelViolation, ServiceModels, error_response

ACCOUNT = "123456789012"
PREDEFINED_STRATEGIES = {
    # id: (duration minutes, growth factor, growth type, final bake minutes), as AWS lists them
    "AppConfig.AllAtOnce": (0, 100.0, "LINEAR", 10),
    "AppConfig.Linear50PercentEvery30Seconds": (1, 50.0, "LINEAR", 1),
    "AppConfig.Linear20PercentEvery6Minutes": (30, 20.0, "LINEAR", 30),
    "AppConfig.Canary10Percent20Minutes": (20, 10.0, "EXPONENTIAL", 10),
}
FINAL = ("COMPLETE", "ROLLED_BACK", "REVERTED")
ROLLBACK_MINUTES = 1
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}


def new_id():
    return secrets.token_hex(4)[:7]


def region_of(headers):
    """The region from the SigV4 credential scope (AKID/date/REGION/service/aws4_request)."""
    authorization = headers.get("Authorization", "")
    try:
        return authorization.split("Credential=")[1].split("/")[2]
    except IndexError:
        return "us-east-1"


class Failure(Exception):
    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.response = error_response(status, code, message, **extra)


def not_found(what, resource_type=None):
    return Failure(404, "ResourceNotFoundException", f"{what} not found", ResourceName=what)


class Deployment:
    def __init__(self, number, application, environment, profile, strategy, version, description, started, monitors):
        self.number = number
        self.application = application
        self.environment = environment
        self.profile = profile  # moto's profile dict
        self.strategy = dict(strategy)
        self.version = version
        self.description = description or ""
        self.started = started  # time.monotonic()
        self.started_at = datetime.datetime.now(datetime.timezone.utc)
        self.monitors = [m["AlarmArn"] for m in monitors]
        self.frozen = None  # the final snapshot, once reached
        self.stopped = None  # (minutes, revert)


class RegionState:
    def __init__(self):
        self.applications = set()
        self.versions = {}  # (app, profile) -> set of version numbers
        self.kms = {}  # (app, profile) -> KmsKeyIdentifier moto drops
        self.environments = {}  # env id -> dict
        self.strategies = {}  # id -> dict
        self.deployments = {}  # (app, env) -> [Deployment]
        self.tags = {}  # arn -> {key: value}, for resources owned by the double
        self.sessions = {}  # token -> session dict


class AppConfigDouble:
    """responder for AwsProxy: handle(method, path, headers, body) -> response or None."""

    def __init__(self, moto_url, minute_seconds=0.02):
        parsed = urllib.parse.urlsplit(moto_url)
        self.upstream = (parsed.hostname, parsed.port or 80)
        self.minute_seconds = minute_seconds
        self.models = ServiceModels()
        self.violations = []
        self.alarms = {}  # arn -> monotonic time it went into ALARM
        self.alarm_at = {}  # arn -> percentage at which it fires
        self.regions = {}
        self.lock = threading.RLock()

    # -- test controls ----------------------------------------------------------------------
    def set_alarm(self, arn, state="ALARM"):
        with self.lock:
            if state == "ALARM":
                self.alarms.setdefault(arn, time.monotonic())
            else:
                self.alarms.pop(arn, None)
                self.alarm_at.pop(arn, None)

    def fire_alarm_at(self, arn, percentage):
        with self.lock:
            self.alarm_at[arn] = float(percentage)

    def reset(self):
        with self.lock:
            self.regions.clear()
            self.alarms.clear()
            self.alarm_at.clear()
            self.violations.clear()

    # -- the proxy's hooks -----------------------------------------------------------------
    def operation_name(self, method, path, headers):
        route, _labels = self.models.route(method, path)
        return route.operation.name if route else None

    def handle(self, method, path, headers, body):
        route, labels = self.models.route(method, path)
        if route is None:
            return None
        try:
            data = self.models.parse_input(route, labels, path, headers, body)
            self.models.check(route, data)
        except ModelViolation as exc:
            with self.lock:
                self.violations.append(f"{route.operation.name}: {exc}")
            return error_response(400, "BadRequestException", f"model violation: {exc}")
        handler = getattr(self, f"op_{route.operation.name}", None)
        if handler is None:
            return error_response(501, "NotImplemented", f"{route.operation.name}: not modelled by the test double")
        with self.lock:
            state = self.regions.setdefault(region_of(headers), RegionState())
            try:
                answer = handler(state, data, method, path, headers, body)
            except Failure as failure:
                return failure.response
        if isinstance(answer, tuple):
            return answer  # a response forwarded from moto
        return self.models.serialize(route, answer)

    # -- moto ---------------------------------------------------------------------------------
    def moto(self, method, path, headers, body=b""):
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        forwarded = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
        conn.request(method, path, body=body, headers=forwarded)
        response = conn.getresponse()
        data = response.read()
        result = (response.status, dict(response.getheaders()), data)
        conn.close()
        return result

    def forward(self, method, path, headers, body):
        status, response_headers, data = self.moto(method, path, headers, body)
        clean = {
            k: v
            for k, v in response_headers.items()
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-length" and v != "None"
        }
        return status, clean, data

    def moto_get(self, headers, path):
        """A read of moto's (signed with the caller's headers, whose signature moto ignores)."""
        status, _headers, data = self.moto("GET", path, {"Authorization": headers.get("Authorization", "")})
        return status, _headers, data

    def application(self, headers, reference):
        """moto's application by ID, or by name among those the double has seen."""
        state = self.regions[region_of(headers)]
        candidates = [reference] if reference in state.applications else sorted(state.applications)
        for app_id in candidates:
            status, _h, data = self.moto_get(headers, f"/applications/{app_id}")
            if status == 200:
                app = json.loads(data)
                if reference in (app["Id"], app["Name"]):
                    return app
        raise not_found("Application")

    def profiles(self, headers, app_id):
        status, _h, data = self.moto_get(headers, f"/applications/{app_id}/configurationprofiles")
        return json.loads(data).get("Items", []) if status == 200 else []

    def profile(self, headers, app_id, reference):
        for item in self.profiles(headers, app_id):
            if reference in (item["Id"], item["Name"]):
                _status, _h, data = self.moto_get(headers, f"/applications/{app_id}/configurationprofiles/{item['Id']}")
                return json.loads(data)
        raise not_found("ConfigurationProfile")

    def hosted(self, headers, app_id, profile_id, version):
        path = f"/applications/{app_id}/configurationprofiles/{profile_id}/hostedconfigurationversions/{version}"
        status, response_headers, data = self.moto_get(headers, path)
        if status != 200:
            raise Failure(400, "BadRequestException", f"hosted configuration version {version} does not exist")
        lowered = {k.lower(): v for k, v in response_headers.items()}
        label = lowered.get("versionlabel")
        return data, lowered.get("content-type", "application/octet-stream"), None if label == "None" else label

    # -- applications and hosted versions: moto, plus what moto lacks ------------------------
    def op_CreateApplication(self, state, data, *request):
        status, headers, body = self.forward(*request)
        if status < 300:
            state.applications.add(json.loads(body)["Id"])
        return status, headers, body

    def op_GetApplication(self, state, data, *request):
        return self.forward(*request)

    def op_UpdateApplication(self, state, data, *request):
        return self.forward(*request)

    def op_DeleteApplication(self, state, data, *request):
        self.application(request[2], data["ApplicationId"])  # moto answers 200 for a missing one
        state.applications.discard(data["ApplicationId"])
        return self.forward(*request)

    def op_ListApplications(self, state, data, method, path, headers, body):
        items = []
        for app_id in sorted(state.applications):
            status, _h, found = self.moto_get(headers, f"/applications/{app_id}")
            if status == 200:
                items.append(json.loads(found))
        return {"Items": items}

    def op_CreateConfigurationProfile(self, state, data, *request):
        status, headers, body = self.forward(*request)
        if status < 300 and data.get("KmsKeyIdentifier"):
            state.kms[(data["ApplicationId"], json.loads(body)["Id"])] = data["KmsKeyIdentifier"]
        return status, headers, self._with_kms(state, data["ApplicationId"], body, status)

    def _with_kms(self, state, app_id, body, status):
        if status >= 300:
            return body
        profile = json.loads(body)
        kms = state.kms.get((app_id, profile.get("Id")))
        if kms:
            profile["KmsKeyIdentifier"] = kms
        return json.dumps(profile).encode()

    def op_GetConfigurationProfile(self, state, data, *request):
        status, headers, body = self.forward(*request)
        return status, headers, self._with_kms(state, data["ApplicationId"], body, status)

    def op_UpdateConfigurationProfile(self, state, data, *request):
        if "KmsKeyIdentifier" in data:
            key = (data["ApplicationId"], data["ConfigurationProfileId"])
            state.kms[key] = data["KmsKeyIdentifier"] or None
        status, headers, body = self.forward(*request)
        return status, headers, self._with_kms(state, data["ApplicationId"], body, status)

    def op_DeleteConfigurationProfile(self, state, data, *request):
        return self.forward(*request)

    def op_ListConfigurationProfiles(self, state, data, *request):
        return self.forward(*request)

    def op_CreateHostedConfigurationVersion(self, state, data, *request):
        key = (data["ApplicationId"], data["ConfigurationProfileId"])
        known = state.versions.setdefault(key, set())
        latest = max(known, default=None)
        if "LatestVersionNumber" in data and data["LatestVersionNumber"] != latest:
            raise Failure(
                409,
                "ConflictException",
                f"LatestVersionNumber {data['LatestVersionNumber']} is not the latest ({latest})",
            )
        status, headers, body = self.forward(*request)
        if status < 300:
            known.add(int({k.lower(): v for k, v in headers.items()}["version-number"]))
        return status, headers, body

    def op_GetHostedConfigurationVersion(self, state, data, *request):
        return self.forward(*request)

    def op_DeleteHostedConfigurationVersion(self, state, data, *request):
        state.versions.get((data["ApplicationId"], data["ConfigurationProfileId"]), set()).discard(
            data["VersionNumber"]
        )
        return self.forward(*request)

    def op_ListHostedConfigurationVersions(self, state, data, method, path, headers, body):
        app_id, profile_id = data["ApplicationId"], data["ConfigurationProfileId"]
        self.profile(headers, app_id, profile_id)
        items = []
        for number in sorted(state.versions.get((app_id, profile_id), ()), reverse=True):
            try:
                _content, content_type, label = self.hosted(headers, app_id, profile_id, number)
            except Failure:
                continue
            item = {"ApplicationId": app_id, "ConfigurationProfileId": profile_id, "VersionNumber": number}
            item.update(ContentType=content_type, **({"VersionLabel": label} if label else {}))
            items.append(item)
        return {"Items": items}

    # -- tags: moto's resources forwarded, the double's own answered here -------------------
    def _own_arn(self, state, arn):
        return arn in state.tags

    def op_ListTagsForResource(self, state, data, *request):
        if self._own_arn(state, data["ResourceArn"]):
            return {"Tags": dict(state.tags[data["ResourceArn"]])}
        return self.forward(*request)

    def op_TagResource(self, state, data, *request):
        if self._own_arn(state, data["ResourceArn"]):
            state.tags[data["ResourceArn"]].update(data["Tags"])
            return {}
        return self.forward(*request)

    def op_UntagResource(self, state, data, *request):
        if self._own_arn(state, data["ResourceArn"]):
            for key in data["TagKeys"]:
                state.tags[data["ResourceArn"]].pop(key, None)
            return {}
        return self.forward(*request)

    # -- environments -------------------------------------------------------------------------
    def _arn(self, headers, resource):
        return f"arn:aws:appconfig:{region_of(headers)}:{ACCOUNT}:{resource}"

    def environment(self, state, app_id, env_id):
        environment = state.environments.get(env_id)
        if environment is None or environment["ApplicationId"] != app_id:
            raise not_found("Environment")
        return environment

    def op_CreateEnvironment(self, state, data, method, path, headers, body):
        app = self.application(headers, data["ApplicationId"])
        env_id = new_id()
        environment = {
            "ApplicationId": app["Id"],
            "Id": env_id,
            "Name": data["Name"],
            "Description": data.get("Description", ""),
            "State": "READY_FOR_DEPLOYMENT",
            "Monitors": data.get("Monitors", []),
        }
        state.environments[env_id] = environment
        state.tags[self._arn(headers, f"application/{app['Id']}/environment/{env_id}")] = dict(data.get("Tags", {}))
        return copy.deepcopy(environment)

    def op_GetEnvironment(self, state, data, method, path, headers, body):
        self._advance_all(state)
        return copy.deepcopy(self.environment(state, data["ApplicationId"], data["EnvironmentId"]))

    def op_UpdateEnvironment(self, state, data, method, path, headers, body):
        environment = self.environment(state, data["ApplicationId"], data["EnvironmentId"])
        for member in ("Name", "Description", "Monitors"):
            if member in data:
                environment[member] = data[member]
        return copy.deepcopy(environment)

    def op_DeleteEnvironment(self, state, data, method, path, headers, body):
        environment = self.environment(state, data["ApplicationId"], data["EnvironmentId"])
        self._advance_all(state)
        if environment["State"] in ("DEPLOYING", "ROLLING_BACK"):
            raise Failure(409, "ConflictException", "the environment has a deployment in progress")
        del state.environments[data["EnvironmentId"]]
        return {}

    def op_ListEnvironments(self, state, data, method, path, headers, body):
        self.application(headers, data["ApplicationId"])
        self._advance_all(state)
        items = [e for e in state.environments.values() if e["ApplicationId"] == data["ApplicationId"]]
        return {"Items": copy.deepcopy(items)}

    # -- deployment strategies ---------------------------------------------------------------------
    def strategies(self, state):
        predefined = {
            strategy_id: {
                "Id": strategy_id,
                "Name": strategy_id,
                "Description": "AWS predefined strategy",
                "DeploymentDurationInMinutes": duration,
                "GrowthFactor": growth,
                "GrowthType": growth_type,
                "FinalBakeTimeInMinutes": bake,
                "ReplicateTo": "NONE",
            }
            for strategy_id, (duration, growth, growth_type, bake) in PREDEFINED_STRATEGIES.items()
        }
        return {**predefined, **state.strategies}

    def strategy(self, state, reference):
        strategy = self.strategies(state).get(reference)
        if strategy is None:
            raise not_found("DeploymentStrategy")
        return strategy

    def op_CreateDeploymentStrategy(self, state, data, method, path, headers, body):
        strategy_id = new_id()
        strategy = {
            "Id": strategy_id,
            "Name": data["Name"],
            "Description": data.get("Description", ""),
            "DeploymentDurationInMinutes": data["DeploymentDurationInMinutes"],
            "GrowthFactor": float(data["GrowthFactor"]),
            "GrowthType": data.get("GrowthType", "LINEAR"),
            "FinalBakeTimeInMinutes": data.get("FinalBakeTimeInMinutes", 0),
            "ReplicateTo": data.get("ReplicateTo", "NONE"),
        }
        state.strategies[strategy_id] = strategy
        state.tags[self._arn(headers, f"deploymentstrategy/{strategy_id}")] = dict(data.get("Tags", {}))
        return dict(strategy)

    def op_GetDeploymentStrategy(self, state, data, method, path, headers, body):
        return dict(self.strategy(state, data["DeploymentStrategyId"]))

    def op_UpdateDeploymentStrategy(self, state, data, method, path, headers, body):
        strategy_id = data["DeploymentStrategyId"]
        if strategy_id in PREDEFINED_STRATEGIES:
            raise Failure(400, "BadRequestException", "predefined strategies cannot be updated")
        strategy = self.strategy(state, strategy_id)
        for member in ("Description", "DeploymentDurationInMinutes", "FinalBakeTimeInMinutes", "GrowthType"):
            if member in data:
                strategy[member] = data[member]
        if "GrowthFactor" in data:
            strategy["GrowthFactor"] = float(data["GrowthFactor"])
        return dict(strategy)

    def op_DeleteDeploymentStrategy(self, state, data, method, path, headers, body):
        strategy_id = data["DeploymentStrategyId"]
        if strategy_id in PREDEFINED_STRATEGIES:
            raise Failure(400, "BadRequestException", "predefined strategies cannot be deleted")
        self.strategy(state, strategy_id)
        del state.strategies[strategy_id]
        return {}

    def op_ListDeploymentStrategies(self, state, data, method, path, headers, body):
        return {"Items": [dict(item) for item in self.strategies(state).values()]}

    # -- deployments ------------------------------------------------------------------------------
    def op_StartDeployment(self, state, data, method, path, headers, body):
        app_id, env_id = data["ApplicationId"], data["EnvironmentId"]
        self.application(headers, app_id)
        environment = self.environment(state, app_id, env_id)
        profile = self.profile(headers, app_id, data["ConfigurationProfileId"])
        strategy = self.strategy(state, data["DeploymentStrategyId"])
        deployments = state.deployments.setdefault((app_id, env_id), [])
        for deployment in deployments:
            if self.snapshot(deployment)["State"] not in FINAL:
                raise Failure(
                    409, "ConflictException", f"deployment {deployment.number} is in progress in this environment"
                )
        latest = len(deployments)
        if "LatestDeploymentNumber" in data and data["LatestDeploymentNumber"] != latest:
            raise Failure(409, "ConflictException", f"LatestDeploymentNumber is {latest}")
        content, content_type, _label = self.source(headers, profile, data["ConfigurationVersion"])
        self.validate(profile, content, content_type)
        deployment = Deployment(
            latest + 1,
            app_id,
            env_id,
            profile,
            strategy,
            data["ConfigurationVersion"],
            data.get("Description"),
            time.monotonic(),
            environment.get("Monitors", []),
        )
        deployments.append(deployment)
        self._advance_all(state)
        return self.describe(deployment)

    def op_GetDeployment(self, state, data, method, path, headers, body):
        return self.describe(self.deployment(state, data))

    def op_ListDeployments(self, state, data, method, path, headers, body):
        self.environment(state, data["ApplicationId"], data["EnvironmentId"])
        deployments = state.deployments.get((data["ApplicationId"], data["EnvironmentId"]), [])
        members = self.models.models["appconfig"].shape_for("DeploymentSummary").members
        items = []
        for deployment in reversed(deployments):
            items.append({k: v for k, v in self.describe(deployment).items() if k in members})
        return {"Items": items}

    def op_StopDeployment(self, state, data, method, path, headers, body):
        deployment = self.deployment(state, data)
        current = self.snapshot(deployment)["State"]
        if current in ("ROLLED_BACK", "REVERTED", "ROLLING_BACK"):
            raise Failure(400, "BadRequestException", f"deployment {deployment.number} is already {current}")
        if current == "COMPLETE" and not data.get("AllowRevert"):
            raise Failure(400, "BadRequestException", "a COMPLETE deployment is only reverted with AllowRevert")
        deployment.stopped = (self.minutes(deployment), current == "COMPLETE")
        deployment.frozen = None
        self._advance_all(state)
        return self.describe(deployment)

    def deployment(self, state, data):
        self.environment(state, data["ApplicationId"], data["EnvironmentId"])
        deployments = state.deployments.get((data["ApplicationId"], data["EnvironmentId"]), [])
        number = data["DeploymentNumber"]
        if not 1 <= number <= len(deployments):
            raise not_found("Deployment")
        return deployments[number - 1]

    def source(self, headers, profile, version):
        """(content, content type, label) of a profile's configuration version."""
        uri = profile["LocationUri"]
        if uri == "hosted":
            return self.hosted(headers, profile["ApplicationId"], profile["Id"], version)
        if uri.startswith("ssm-parameter://"):
            name = uri[len("ssm-parameter://") :]
            request = json.dumps({"Name": f"{name}:{version}", "WithDecryption": True}).encode()
            # moto picks the service from the credential scope: sign this read as SSM's.
            authorization = headers.get("Authorization", "").replace("/appconfig/aws4_request", "/ssm/aws4_request")
            status, _h, data = self.moto(
                "POST",
                "/",
                {
                    "Authorization": authorization,
                    "X-Amz-Target": "AmazonSSM.GetParameter",
                    "Content-Type": "application/x-amz-json-1.1",
                },
                request,
            )
            if status != 200:
                raise Failure(400, "BadRequestException", f"parameter {name} version {version} does not exist")
            return json.loads(data)["Parameter"]["Value"].encode(), "text/plain", None
        raise Failure(400, "BadRequestException", f"the test double does not model {uri.split(':')[0]} sources")

    def validate(self, profile, content, content_type):
        """The profile's JSON Schema validators, as AppConfig runs them when a deployment starts."""
        from jsonschema import Draft4Validator

        for validator in profile.get("Validators") or []:
            if validator["Type"] != "JSON_SCHEMA":
                continue
            errors = list(Draft4Validator(json.loads(validator["Content"])).iter_errors(json.loads(content)))
            if errors:
                raise Failure(400, "BadRequestException", "Configuration failed validation by a JSON_SCHEMA validator")

    # -- the progression of a deployment -------------------------------------------------------
    def minutes(self, deployment):
        return (time.monotonic() - deployment.started) / self.minute_seconds

    def steps(self, strategy):
        """[(minute, percentage)] as the strategy grows to 100%."""
        growth = strategy["GrowthFactor"]
        if strategy.get("GrowthType") == "EXPONENTIAL":
            percentages = []
            step = 0
            while not percentages or percentages[-1] < 100:
                percentages.append(min(100.0, growth * 2**step))
                step += 1
        else:
            percentages = [min(100.0, growth * k) for k in range(1, math.ceil(100 / growth) + 1)]
        duration = strategy["DeploymentDurationInMinutes"]
        count = len(percentages)
        return [(duration * index / (count - 1) if count > 1 else 0, p) for index, p in enumerate(percentages)]

    def alarm_minute(self, deployment, steps):
        """When (minutes after the start) one of the environment's alarms fired, or None."""
        times = []
        for arn in deployment.monitors:
            if arn in self.alarms:
                times.append((max(0.0, (self.alarms[arn] - deployment.started) / self.minute_seconds), arn))
            if arn in self.alarm_at:
                reached = [minute for minute, percentage in steps if percentage >= self.alarm_at[arn]]
                if reached:
                    times.append((reached[0], arn))
        return min(times) if times else (None, None)

    def snapshot(self, deployment):
        """State, percentage and event log (newest first) of a deployment now."""
        if deployment.frozen is not None:
            return deployment.frozen
        now = self.minutes(deployment)
        strategy = deployment.strategy
        steps = self.steps(strategy)
        duration = strategy["DeploymentDurationInMinutes"]
        end = duration + strategy["FinalBakeTimeInMinutes"]
        events = [(0.0, "DEPLOYMENT_STARTED", "APPCONFIG", "Deployment started")]
        fired, arn = self.alarm_minute(deployment, steps)
        stop = None
        if fired is not None and fired <= min(now, end):
            stop = (fired, "CLOUDWATCH_ALARM", f"Rollback initiated by CloudWatch Alarm: {arn}", False)
        if deployment.stopped is not None and (stop is None or deployment.stopped[0] < stop[0]):
            minute, revert = deployment.stopped
            stop = (minute, "USER", "Deployment stopped by user", revert)
        horizon = now if stop is None else stop[0]
        percentage = 0.0
        for minute, value in steps:
            if minute <= horizon:
                percentage = value
                events.append((minute, "PERCENTAGE_UPDATED", "APPCONFIG", f"Percentage complete {value:g}"))
        if duration <= horizon:
            events.append((duration, "BAKE_TIME_STARTED", "APPCONFIG", "Bake time started"))
        if stop is not None and stop[3]:
            events.append((end, "DEPLOYMENT_COMPLETED", "APPCONFIG", "Deployment completed"))
            events.append((stop[0], "REVERT_COMPLETED", stop[1], "Deployment reverted by user"))
            state = "REVERTED"
        elif stop is not None:
            events.append((stop[0], "ROLLBACK_STARTED", stop[1], stop[2]))
            state = "ROLLING_BACK"
            if now >= stop[0] + ROLLBACK_MINUTES:
                events.append((stop[0] + ROLLBACK_MINUTES, "ROLLBACK_COMPLETED", "APPCONFIG", "Rollback completed"))
                state = "ROLLED_BACK"
        elif now >= end:
            events.append((end, "DEPLOYMENT_COMPLETED", "APPCONFIG", "Deployment completed"))
            state = "COMPLETE"
        else:
            state = "BAKING" if now >= duration else "DEPLOYING"
        at = deployment.started_at
        shot = {
            "State": state,
            "PercentageComplete": percentage,
            "EventLog": [
                {
                    "EventType": kind,
                    "TriggeredBy": by,
                    "Description": text,
                    "OccurredAt": (at + datetime.timedelta(seconds=minute * 60)).isoformat(),
                }
                for _order, (minute, kind, by, text) in sorted(
                    enumerate(events), key=lambda e: (e[1][0], e[0]), reverse=True
                )
            ],
        }
        if state in FINAL:
            shot["CompletedAt"] = shot["EventLog"][0]["OccurredAt"]
            deployment.frozen = shot
        return shot

    def describe(self, deployment):
        shot = self.snapshot(deployment)
        strategy = deployment.strategy
        return {
            "ApplicationId": deployment.application,
            "EnvironmentId": deployment.environment,
            "DeploymentStrategyId": strategy["Id"],
            "ConfigurationProfileId": deployment.profile["Id"],
            "DeploymentNumber": deployment.number,
            "ConfigurationName": deployment.profile["Name"],
            "ConfigurationLocationUri": deployment.profile["LocationUri"],
            "ConfigurationVersion": deployment.version,
            "Description": deployment.description,
            "DeploymentDurationInMinutes": strategy["DeploymentDurationInMinutes"],
            "GrowthType": strategy["GrowthType"],
            "GrowthFactor": strategy["GrowthFactor"],
            "FinalBakeTimeInMinutes": strategy["FinalBakeTimeInMinutes"],
            "StartedAt": deployment.started_at.isoformat(),
            **shot,
        }

    def _advance_all(self, state):
        """Environment states follow their latest deployment."""
        for (_app_id, env_id), deployments in state.deployments.items():
            if deployments and env_id in state.environments:
                current = self.snapshot(deployments[-1])["State"]
                state.environments[env_id]["State"] = {
                    "COMPLETE": "READY_FOR_DEPLOYMENT",
                    "BAKING": "DEPLOYING",
                    "VALIDATING": "DEPLOYING",
                }.get(current, current)

    # -- AppConfig Data -------------------------------------------------------------------------
    def op_StartConfigurationSession(self, state, data, method, path, headers, body):
        app = self.application(headers, data["ApplicationIdentifier"])
        environment = next(
            (
                e
                for e in state.environments.values()
                if e["ApplicationId"] == app["Id"] and data["EnvironmentIdentifier"] in (e["Id"], e["Name"])
            ),
            None,
        )
        if environment is None:
            raise not_found("Environment")
        profile = self.profile(headers, app["Id"], data["ConfigurationProfileIdentifier"])
        token = secrets.token_urlsafe(24)
        state.sessions[token] = {
            "application": app["Id"],
            "environment": environment["Id"],
            "profile": profile,
            "served": None,
            "interval": data.get("RequiredMinimumPollIntervalInSeconds", 60),
        }
        return {"InitialConfigurationToken": token}

    def op_GetLatestConfiguration(self, state, data, method, path, headers, body):
        session = state.sessions.pop(data["ConfigurationToken"], None)
        if session is None:
            raise Failure(
                400,
                "BadRequestException",
                "Invalid or used configuration token",
                Reason="InvalidParameters",
                Details={"InvalidParameters": {"ConfigurationToken": {"Problem": "Expired"}}},
            )
        profile = session["profile"]
        deployments = state.deployments.get((session["application"], session["environment"]), [])
        serving = None
        for deployment in reversed(deployments):
            if deployment.profile["Id"] == profile["Id"] and self.snapshot(deployment)["State"] in (
                "COMPLETE",
                "BAKING",
                "DEPLOYING",
            ):
                serving = deployment
                break
        if serving is None:
            raise not_found("Deployment")
        token = secrets.token_urlsafe(24)
        state.sessions[token] = dict(session, served=serving.number)
        answer = {"NextPollConfigurationToken": token, "NextPollIntervalInSeconds": session["interval"]}
        if session["served"] == serving.number:
            return dict(answer, Configuration=b"")  # the client has it already
        content, content_type, label = self.source(headers, profile, serving.version)
        if profile.get("Type") == "AWS.AppConfig.FeatureFlags":
            content, content_type = simplified_flags(json.loads(content)), "application/json"
        answer.update(Configuration=content, ContentType=content_type)
        if label:
            answer["VersionLabel"] = label
        return answer


def simplified_flags(document):
    """What AppConfig Data serves for a feature-flags profile: each flag's enabled value,
    and for an enabled flag its attribute values."""
    result = {}
    values = document.get("values") or {}
    for key in document.get("flags") or {}:
        value = values.get(key) or {}
        entry = {"enabled": bool(value.get("enabled", False))}
        if entry["enabled"]:
            entry.update({k: v for k, v in value.items() if k != "enabled" and not k.startswith("_")})
        result[key] = entry
    return json.dumps(result).encode()
