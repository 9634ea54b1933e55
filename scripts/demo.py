#!/usr/bin/env python3
"""`make demo`: the main job on its embedded defaults, against local stand-ins.

AWS is a moto server in a container (keel-test/moto) and the fleet is three Debian 12
containers labelled like EC2 tags; nothing leaves this machine. Steps, in order:

1. start the AWS stand-in on a private Docker network;
2. load Parameter Store with keel.ssm.parameter_tree: an application tree (one
   SecureString) and the security baseline's settings under /baseline/demo;
   then deploy the application's feature flags with AppConfig (keel.ssm.appconfig_*
   modules, a linear strategy, an alarm-watched environment) and rerun those tasks to
   show they change nothing;
3. render an application config with the keel.ssm.parameter lookup, its [features]
   section with the keel.ssm.appconfig lookup;
4. publish (playbooks/publish.yml): build the bundle, upload it to S3, register the
   SSM documents, and plan the one tag-targeted association, with the keel-ssm-baseline
   document (moto has no association API, so it is planned and printed, not created);
5. start the "instances": two tagged Role=web-server, Environment=production, one
   Role=database;
6. resolve the associations' tag targets against the instances' labels (this script
   plays State Manager's target resolution);
7. rehearse the planned association's document (keel-ssm-baseline) on each targeted
   instance exactly as the
   SSM agent would run it (playbooks/rehearse.yml: the agent emulator, a TEST DOUBLE,
   then the document's shell step as shipped, with Debian's own ansible-core 2.14); the
   baseline reports one compliance item per control for the instance's id
   (AWS_SSM_INSTANCE_ID, which the emulator exports as every agent does);
8. read those reports back through the Systems Manager API (keel.ssm.compliance_info:
   ListComplianceItems, one instance a call) and print them per control and instance.

moto has no compliance API: the labelled TEST DOUBLE tests/helpers/ssm_compliance_double.py
answers PutComplianceItems and ListComplianceItems (each request checked against the SSM
service model) in a proxy on this host, in front of moto, bound to the Docker network's
gateway address so that the instances reach it; their every other AWS call (the
Parameter Store read) passes through it to moto unchanged.

`--quick` stops after publishing (no instances), which is what the test suite runs; the
rehearsal itself is covered by the molecule scenario `rehearsal`. Containers and the
network are removed at the end unless KEEL_DEMO_KEEP=1. Secrets are never printed.
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / ".collections"))

from ansible_collections.keel.ssm.plugins.module_utils.errors import redact  # noqa: E402
from tests.helpers.appconfig_double import AppConfigDouble  # noqa: E402
from tests.helpers.aws_proxy import AwsProxy  # noqa: E402
from tests.helpers.fleet import run_playbook  # noqa: E402
from tests.helpers.ssm_compliance_double import SsmComplianceDouble  # noqa: E402

DEMO_DIR = REPO_ROOT / "scripts" / "demo"
BUILD_DIR = REPO_ROOT / "build" / "demo"
PREFIX = "/demo/prod/app"
BASELINE_PATH = "/baseline/demo"
NETWORK = "keel-demo-net"
MOTO = "keel-demo-moto"
MOTO_IMAGE = "keel-test/moto:latest"
INSTANCE_IMAGE = "keel-test/debian:bookworm"
INSTANCES = {
    "keel-demo-web-1": {"Role": "web-server", "Environment": "production"},
    "keel-demo-web-2": {"Role": "web-server", "Environment": "production"},
    "keel-demo-db-1": {"Role": "database", "Environment": "production"},
}
# Settings that differ from the role defaults, so the summary shows where they came from.
BASELINE_SETTINGS = {
    "pam": {"faillock_deny": "4", "pwquality_minlen": "16"},
    "auditd": {"num_logs": "7"},
    "ufw": {"allowed_ports": ["443/tcp"]},
}
# The instances are containers without the SSM agent (the emulator plays it, and the real
# agent cannot be downloaded here), so its control SSM.1 cannot hold on them: the
# rehearsal leaves the ssm_agent role out (SsmAgent=false), not the association.
REHEARSAL_ONLY_PARAMETERS = {"SsmAgent": "false"}
COMPLIANCE_TYPE = "Custom:KeelBaseline"
FAKE_INSTANCE_CREDENTIALS = [
    "AWS_ACCESS_KEY_ID=testing",
    "AWS_SECRET_ACCESS_KEY=testing",
    "AWS_DEFAULT_REGION=us-east-1",
]
# systemd as PID 1 without --privileged, which this Docker engine refuses ("unable to apply
# caps"); the same flags as .config/molecule/config.yml.
SYSTEMD_FLAGS = [
    *("--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-add", "AUDIT_CONTROL", "--cap-add", "AUDIT_WRITE"),
    *("--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock"),
    *("--security-opt", "seccomp=unconfined"),
]
# AppConfig: the application's feature flags, deployed with a linear strategy to an
# environment watched by an alarm (scripts/demo/appconfig.yml).
APPCONFIG = {
    "application": "keel-demo",
    "environment": "production",
    "profile": "features",
    "strategy": "keel-demo-linear",
    "alarm_arn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:keel-demo-5xx",
    "wait_interval": 0.5,
}
FEATURE_FLAGS = {"new_ui": True, "beta_api": False}
APPCONFIG_DEPLOYMENT = re.compile(r"deployment \d+ of version \d+: \w+ [\d.]+% \([^)]*\)")


@dataclass
class Demo:
    """What the steps share. `secrets` holds every SecureString value the demo created,
    so anything printed is masked with them."""

    workdir: Path = BUILD_DIR
    endpoint: str = ""
    secrets: list = field(default_factory=list)
    summary: list = field(default_factory=list)
    plan: list = field(default_factory=list)
    targeted: list = field(default_factory=list)
    appconfig_endpoint: str = ""
    # The SSM compliance TEST DOUBLE and its proxy's URL, which the instances reach.
    compliance: SsmComplianceDouble | None = None
    compliance_endpoint: str = ""
    rehearsal_error: str = ""

    def say(self, text):
        print(redact(str(text), self.secrets), flush=True)

    def playbook(self, playbook, extra_vars, inventory=None, extra_env=None):
        """One ansible-playbook run; on localhost (the default) modules run under this
        Python, which has boto3."""
        if inventory is None:
            inventory = ("-i", "localhost,")
            extra_vars = dict(extra_vars, ansible_python_interpreter=sys.executable)
        result = run_playbook(
            playbook,
            self.workdir,
            self.endpoint,
            list(inventory),
            extra_vars,
            forks=5,
            verbosity=0,
            extra_env=extra_env,
        )
        if result.returncode != 0:
            for line in result.output.splitlines()[-40:]:
                self.say(f"  | {line}")
            raise RuntimeError(f"{Path(playbook).name} failed (exit {result.returncode})")
        return result


def docker(*args, check=True):
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True)


def instance_id(name):
    """A managed node id per container, as an agent has one: mi- and 17 hex digits,
    derived from the name (playbooks/rehearse.yml derives the same by default)."""
    return "mi-" + hashlib.sha1(name.encode()).hexdigest()[:17]  # noqa: S324 (an id, not security)


def remove_stand_ins():
    """Only what this demo creates, by its names."""
    docker("rm", "-f", MOTO, *INSTANCES, check=False)
    docker("network", "rm", NETWORK, check=False)


def start_aws_stand_in(demo):
    remove_stand_ins()
    docker("network", "create", NETWORK)
    docker("run", "-d", "--name", MOTO, "--network", NETWORK, MOTO_IMAGE)
    address = json.loads(docker("inspect", MOTO).stdout)[0]["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]
    demo.endpoint = f"http://{address}:5000"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{demo.endpoint}/moto-api/", timeout=2):  # noqa: S310 (http URL built here)
                break
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"moto did not answer on {demo.endpoint}") from None
            time.sleep(0.5)
    demo.say(f"moto (AWS stand-in) in container {MOTO}: {demo.endpoint}")
    start_compliance_stand_in(demo)


def start_compliance_stand_in(demo):
    """The SSM compliance TEST DOUBLE in a proxy before moto, listening on the demo
    network's gateway (this host's address on it; not every interface), so the
    instances send their reports there and the read-back asks the same place."""
    network = json.loads(docker("network", "inspect", NETWORK).stdout)[0]
    gateway = network["IPAM"]["Config"][0]["Gateway"]
    demo.compliance = SsmComplianceDouble()
    proxy = AwsProxy(demo.endpoint, responder=demo.compliance, host=gateway).start()
    atexit.register(proxy.stop)
    demo.compliance_endpoint = proxy.url
    demo.say(f"SSM compliance (TEST DOUBLE; moto has none) before moto: {proxy.url}, the instances' AWS endpoint")


def load_parameters(demo):
    password = secrets.token_urlsafe(18)
    demo.secrets.append(password)
    result = demo.playbook(
        DEMO_DIR / "load_parameters.yml",
        {
            "demo_prefix": PREFIX,
            "demo_baseline_path": BASELINE_PATH,
            "demo_baseline_settings": BASELINE_SETTINGS,
        },
        # Through the environment, so the secret is never written to a vars file.
        extra_env={"KEEL_DEMO_DB_PASSWORD": password},
    )
    demo.say(f"  {PREFIX}: db/host, db/port, db/password (SecureString), log_level")
    for role, settings in BASELINE_SETTINGS.items():
        for name, value in settings.items():
            demo.say(f"  {BASELINE_PATH}/{role}/{name} = {value if isinstance(value, str) else ','.join(value)}")
    changed = sum(counts["changed"] for counts in result.recap.values())
    demo.summary.append(f"Parameter Store loaded with keel.ssm.parameter_tree ({changed} task(s) changed)")


def deploy_feature_flags(demo):
    """AppConfig, twice: the second run must change nothing. moto has applications,
    profiles and hosted versions but no environments, strategies, deployments or AppConfig
    Data: the labelled test double (tests/helpers/appconfig_double.py) answers those in
    front of the moto container, one AppConfig minute lasting a second."""
    double = AppConfigDouble(demo.endpoint, minute_seconds=1.0)
    proxy = AwsProxy(demo.endpoint, responder=double).start()
    atexit.register(proxy.stop)
    demo.appconfig_endpoint = proxy.url
    extra_vars = {"demo_appconfig": APPCONFIG, "demo_flags": FEATURE_FLAGS}
    first = demo.playbook(DEMO_DIR / "appconfig.yml", extra_vars, extra_env={"AWS_URL": proxy.url})
    again = demo.playbook(DEMO_DIR / "appconfig.yml", extra_vars, extra_env={"AWS_URL": proxy.url})
    rerun_changed = sum(counts["changed"] for counts in again.recap.values())
    if rerun_changed or double.violations:
        raise RuntimeError(f"AppConfig rerun: {rerun_changed} changed, model violations: {double.violations}")
    flags = ", ".join(f"{name}={'on' if enabled else 'off'}" for name, enabled in FEATURE_FLAGS.items())
    demo.say(f"  {APPCONFIG['application']}/{APPCONFIG['environment']}/{APPCONFIG['profile']}: {flags}")
    for line in APPCONFIG_DEPLOYMENT.findall(first.output):
        demo.say(f"  {line} with {APPCONFIG['strategy']} (LINEAR 50% over 2 min, 1 min bake)")
    demo.say(
        f"  rerun: 0 changed; AppConfig requests checked against botocore's model by the test double ({proxy.url})"
    )
    demo.summary.append("feature flags deployed with AppConfig; a rerun changed nothing")


def render_config(demo):
    out = demo.workdir / "out"
    out.mkdir(parents=True, exist_ok=True)
    demo.playbook(
        DEMO_DIR / "render_config.yml",
        {
            "demo_prefix": PREFIX,
            "demo_out": str(out),
            "demo_appconfig": dict(APPCONFIG, endpoint=demo.appconfig_endpoint),
        },
    )
    config = out / "app.conf"
    text = config.read_text(encoding="utf-8")
    if demo.secrets[0] not in text:
        raise RuntimeError(f"{config} does not hold the database password")
    demo.say(f"{config} (mode {config.stat().st_mode & 0o777:o}), SecureString values masked here:")
    for line in text.splitlines():
        demo.say(f"  {line}")
    demo.summary.append(f"config rendered with the keel.ssm.parameter lookup: {config}")


def publish(demo):
    plan_file = demo.workdir / "associations.json"
    demo.playbook(
        REPO_ROOT / "playbooks" / "publish.yml",
        {
            "keel_publish_bucket": "keel-demo-bundles",
            "keel_publish_create_bucket": True,
            "keel_publish_endpoint_url": demo.endpoint,
            "keel_publish_bundle": str(demo.workdir / "keel-ssm-bundle.zip"),
            "keel_publish_parameter_path": BASELINE_PATH,
            "keel_publish_association_prefix": "keel-demo",
            "keel_publish_associations": False,
            "keel_publish_plan_file": str(plan_file),
        },
    )
    demo.plan = json.loads(plan_file.read_text(encoding="utf-8"))
    if [item["document_name"] for item in demo.plan] != ["keel-ssm-baseline"]:
        raise RuntimeError(
            f"publish.yml planned {[item['document_name'] for item in demo.plan]}, not one keel-ssm-baseline"
        )
    bundle_url = demo.plan[0]["parameters"]["BundleUrl"]
    demo.say(f"  bundle: {demo.workdir / 'keel-ssm-bundle.zip'} -> {bundle_url}")
    demo.say(f"  bundle sha256 {demo.plan[0]['parameters']['BundleSha256']}, pinned in the association")
    demo.say(
        "  documents registered: keel-ssm-baseline, keel-ssm-auditd, keel-ssm-pam, keel-ssm-ufw, keel-ssm-ssm-agent"
    )
    demo.say(f"  association planned (complete definition in {plan_file}; the role documents stay for Run Command):")
    for item in demo.plan:
        targets = " + ".join(f"{t['key']}={','.join(t['values'])}" for t in item["targets"])
        demo.say(
            f"    {item['association_name']}: {item['document_name']} on {targets}, {item['schedule']},"
            f" compliance {item['compliance_severity']} ({item['sync_compliance']}),"
            f" concurrency {item['max_concurrency']}, errors {item['max_errors']}"
        )
    demo.summary.append(f"bundle in S3, 5 documents registered, {len(demo.plan)} association planned")


def start_instances(demo):
    for name, labels in INSTANCES.items():
        tags = [arg for key, value in labels.items() for arg in ("--label", f"{key}={value}")]
        env = [arg for pair in FAKE_INSTANCE_CREDENTIALS for arg in ("-e", pair)]
        docker("run", "-d", "--name", name, "--hostname", name, "--network", NETWORK, *tags, *env, *SYSTEMD_FLAGS,
               INSTANCE_IMAGE, "/lib/systemd/systemd")  # fmt: skip
        demo.say(f"  {name}: {', '.join(f'{key}={value}' for key, value in labels.items())}")


def resolve_targets(demo):
    """State Manager's tag targeting, played against the containers' labels: an
    instance is targeted when it matches every target (tag:KEY in VALUES)."""
    targets = demo.plan[0]["targets"]
    for name, labels in INSTANCES.items():
        matched = all(labels.get(t["key"].removeprefix("tag:")) in t["values"] for t in targets)
        demo.say(f"  {name}: {'targeted' if matched else 'not targeted'}")
        if matched:
            demo.targeted.append(name)


def download_bundle(demo):
    """What aws:downloadContent does with BundleUrl: fetch the object from (the stand-in's)
    S3, so the rehearsal verifies the bytes S3 holds against the pinned SHA-256."""
    import boto3  # the venv's; only the demo's later steps need it

    bucket, key = urllib.parse.urlsplit(demo.plan[0]["parameters"]["BundleUrl"]).path.lstrip("/").split("/", 1)
    target = demo.workdir / "downloaded" / Path(key).name
    target.parent.mkdir(parents=True, exist_ok=True)
    credentials = dict(pair.split("=", 1) for pair in FAKE_INSTANCE_CREDENTIALS)
    s3 = boto3.client(
        "s3",
        endpoint_url=demo.endpoint,
        region_name=credentials["AWS_DEFAULT_REGION"],
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
    )
    s3.download_file(bucket, key, str(target))
    return target


def rehearse(demo):
    inventory = demo.workdir / "instances.ini"
    inventory.write_text(
        "[instances]\n" + "".join(f"{name} ansible_connection=community.docker.docker\n" for name in demo.targeted)
    )
    parameters = {
        "BundleUrl": demo.plan[0]["parameters"]["BundleUrl"],
        # As the association passes it: the step verifies the download against it.
        "BundleSha256": demo.plan[0]["parameters"]["BundleSha256"],
        "ParameterPath": BASELINE_PATH,
        # Two containers, no fleet to spread: no random wait before the settings read.
        "MaxReadDelaySeconds": "0",
        # Parameter Store through the proxy to moto, compliance reports to the double.
        "AwsEndpointUrl": demo.compliance_endpoint,
        "AwsRegion": "us-east-1",
        **REHEARSAL_ONLY_PARAMETERS,
    }
    commands = [
        {
            "command": f"keel-ssm-baseline-{name}",
            "instance": name,
            "instance_id": instance_id(name),
            "file": str(REPO_ROOT / "ssm_documents" / "keel-ssm-baseline.yml"),
            "agent": "new",
            "download_step": "DownloadBundle",
            "parameters": parameters,
        }
        for name in demo.targeted
    ]
    started = time.monotonic()
    demo.say(f"  running keel-ssm-baseline on {', '.join(demo.targeted)} (apt installs inside; a few minutes)")
    demo.say(f"  rehearsal only: {REHEARSAL_ONLY_PARAMETERS} (containers have no SSM agent)")
    try:
        demo.playbook(
            REPO_ROOT / "playbooks" / "rehearse.yml",
            {
                "keel_rehearsal_commands": commands,
                "keel_rehearsal_bundle": str(download_bundle(demo)),
                "keel_rehearsal_dir": str(demo.workdir / "rehearsal"),
                "keel_rehearsal_instances": "instances",
            },
            inventory=("-i", str(inventory)),
            extra_env={"ANSIBLE_PIPELINING": "True"},
        )
    except RuntimeError as exc:
        # The baseline reports before its verdict fails the run: read the reports back
        # (next step) to show which controls fail, then fail the demo.
        demo.rehearsal_error = str(exc)
        demo.say(f"  FAILED after {time.monotonic() - started:.0f} s: {exc}; output in {demo.workdir / 'rehearsal'}")
        return
    demo.say(f"  done in {time.monotonic() - started:.0f} s")


def compliance_table(instances, targeted, resources):
    """The read-back as lines: one row per control, one column per instance (name, then
    its id), each cell the item's status; the severity column is the items'. Then a
    count per instance. `instances` maps name -> id; `resources` is compliance_info's."""
    items = {entry["resource_id"]: {item["id"]: item for item in entry["items"]} for entry in resources}
    controls = sorted({control for found in items.values() for control in found}, key=_control_order)
    header = ["control", "severity", *instances]
    ids = ["", "", *instances.values()]
    rows = []
    for control in controls:
        found = [items.get(node, {}).get(control) for node in instances.values()]
        severities = sorted({item["severity"] for item in found if item})
        rows.append([control, "/".join(severities), *(item["status"] if item else "-" for item in found)])
    counts = []
    for name, node in instances.items():
        statuses = [item["status"] for item in items.get(node, {}).values()]
        if not statuses:
            counts.append("no report" + ("" if name in targeted else " (not targeted)"))
        else:
            counts.append(f"{statuses.count('COMPLIANT')}/{len(statuses)} compliant")
    table = [header, ids, *rows, ["", "", *counts]]
    widths = [max(len(row[index]) for row in table) for index in range(len(header))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in table]


def _control_order(control):
    """1.2.10 after 1.2.9; ids that are not dotted numbers (SSM.1) first, by name."""
    parts = control.split(".")
    return (1, [int(part) for part in parts], "") if all(p.isdigit() for p in parts) else (0, [], control)


def compliance_problems(instances, targeted, resources):
    """Why the read-back is not what the demo expects, one sentence each."""
    items = {entry["resource_id"]: entry["items"] for entry in resources}
    problems = []
    for name, node in instances.items():
        found = items.get(node, [])
        if name in targeted and not found:
            problems.append(f"{name} ({node}) has no compliance items: its report did not arrive")
        elif name not in targeted and found:
            problems.append(f"{name} ({node}) was not targeted but has {len(found)} compliance item(s)")
        failing = [item["id"] for item in found if item["status"] != "COMPLIANT"]
        if failing:
            problems.append(f"{name} ({node}) does not comply with: {', '.join(failing)}")
    return problems


def compliance_read_back(demo):
    """What the instances reported, read back through the Systems Manager API with
    keel.ssm.compliance_info (ListComplianceItems per instance), never from the instances."""
    instances = {name: instance_id(name) for name in INSTANCES}
    out = demo.workdir / "out"
    out.mkdir(parents=True, exist_ok=True)
    demo.playbook(
        DEMO_DIR / "compliance.yml",
        {
            "demo_resource_ids": list(instances.values()),
            "demo_compliance_type": COMPLIANCE_TYPE,
            "demo_endpoint": demo.compliance_endpoint,
            "demo_out": str(out),
        },
    )
    resources = json.loads((out / "compliance.json").read_text(encoding="utf-8"))
    demo.say(f"  {COMPLIANCE_TYPE}, per control and instance (ListComplianceItems at {demo.compliance_endpoint}):")
    for line in compliance_table(instances, demo.targeted, resources):
        demo.say(f"  {line}")
    problems = compliance_problems(instances, demo.targeted, resources)
    if demo.compliance.violations:
        problems.append(f"requests that break the SSM service model: {demo.compliance.violations}")
    if demo.rehearsal_error:
        problems.append(f"the rehearsal failed: {demo.rehearsal_error}")
    if problems:
        raise RuntimeError("; ".join(problems))
    reported = sum(1 for entry in resources if entry["items"])
    demo.summary.append(
        f"{reported}/{len(demo.targeted)} targeted instances reported every control compliant"
        f" ({COMPLIANCE_TYPE}, read back with keel.ssm.compliance_info)"
    )


QUICK_STEPS = [
    ("Start the AWS stand-in", start_aws_stand_in),
    ("Load Parameter Store (keel.ssm.parameter_tree)", load_parameters),
    ("Deploy the feature flags with AppConfig (keel.ssm.appconfig_* modules)", deploy_feature_flags),
    ("Render the application config (keel.ssm.parameter and keel.ssm.appconfig lookups)", render_config),
    ("Publish: bundle, documents, association plan (playbooks/publish.yml)", publish),
]
FLEET_STEPS = [
    ("Start the instances (containers with EC2-style tags as labels)", start_instances),
    ("Resolve the associations' tag targets", resolve_targets),
    ("Rehearse the keel-ssm-baseline document on the targeted instances", rehearse),
    ("Compliance per control and instance, read back through the SSM API", compliance_read_back),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="stop after publishing (no instances)")
    args = parser.parse_args(argv)
    steps = QUICK_STEPS if args.quick else QUICK_STEPS + FLEET_STEPS
    demo = Demo()
    demo.workdir.mkdir(parents=True, exist_ok=True)
    status = 0
    try:
        for number, (title, step) in enumerate(steps, 1):
            demo.say(f"\n== {number}/{len(steps)} {title}")
            step(demo)
    except Exception as exc:  # the demo reports any failure and still cleans up
        demo.say(f"\ndemo failed: {exc}")
        status = 1
    finally:
        if os.environ.get("KEEL_DEMO_KEEP") != "1":
            remove_stand_ins()
    if status == 0:
        demo.say("\n== Done")
        for line in demo.summary:
            demo.say(f"  - {line}")
    return status


if __name__ == "__main__":
    sys.exit(main())
