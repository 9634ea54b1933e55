#!/usr/bin/env python3
"""`make demo`: the main job on its embedded defaults, against a local AWS stand-in.

Steps run in order on one shared Demo state; each prints what it did, never a secret.
Today: start a moto server, seed a Parameter Store tree (/demo/prod/app/..., one
SecureString), render an application config through ansible-playbook with the
keel.ssm.parameter lookup. Later steps (tree writes with the modules, the baseline in
containers, SSM documents) append to STEPS.
"""

from __future__ import annotations

import json
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / ".collections"))

import boto3  # noqa: E402

from ansible_collections.keel.ssm.plugins.module_utils.errors import redact  # noqa: E402
from tests.helpers.fleet import run_playbook  # noqa: E402
from tests.helpers.moto_endpoint import FAKE_CREDENTIALS, MotoServer  # noqa: E402

DEMO_DIR = REPO_ROOT / "scripts" / "demo"
BUILD_DIR = REPO_ROOT / "build" / "demo"
PREFIX = "/demo/prod/app"


@dataclass
class Demo:
    """What the steps share. `secrets` holds every SecureString value the demo created,
    so anything printed can be masked with them."""

    workdir: Path = BUILD_DIR
    moto: MotoServer | None = None
    ssm: object = None
    secrets: list = field(default_factory=list)
    summary: list = field(default_factory=list)

    def say(self, text):
        print(redact(str(text), self.secrets), flush=True)


def start_aws_stand_in(demo):
    demo.moto = MotoServer().start()
    demo.ssm = boto3.client(
        "ssm",
        endpoint_url=demo.moto.url,
        region_name=FAKE_CREDENTIALS["AWS_REGION"],
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    demo.say(f"moto server (AWS stand-in) listening on {demo.moto.url}")


def seed_parameter_tree(demo):
    password = secrets.token_urlsafe(18)
    demo.secrets.append(password)
    tree = [
        (f"{PREFIX}/db/host", "db.prod.internal", "String"),
        (f"{PREFIX}/db/port", "5432", "String"),
        (f"{PREFIX}/db/password", password, "SecureString"),
        (f"{PREFIX}/log_level", "info", "String"),
        (f"{PREFIX}/features", json.dumps({"new_ui": True, "beta_api": False}), "String"),
    ]
    for name, value, kind in tree:
        demo.ssm.put_parameter(Name=name, Value=value, Type=kind, Overwrite=True)
        demo.say(f"  {kind:<12} {name} = {value}")
    demo.summary.append(f"{len(tree)} parameters under {PREFIX} (1 SecureString)")


def render_config(demo):
    out = demo.workdir / "out"
    out.mkdir(parents=True, exist_ok=True)
    result = run_playbook(
        DEMO_DIR / "render_config.yml",
        demo.workdir,
        demo.moto.url,
        ["-i", "localhost,"],
        {"demo_prefix": PREFIX, "demo_out": str(out), "ansible_python_interpreter": sys.executable},
        forks=1,
        verbosity=0,
    )
    for line in result.output.splitlines():
        if line.strip():
            demo.say(f"  | {line}")
    if result.returncode != 0:
        raise RuntimeError(f"ansible-playbook failed (exit {result.returncode})")
    config = out / "app.conf"
    text = config.read_text(encoding="utf-8")
    if demo.secrets[0] not in text:
        raise RuntimeError(f"{config} does not hold the database password")
    demo.say(f"\n{config} (mode {config.stat().st_mode & 0o777:o}), SecureString values masked here:")
    for line in text.splitlines():
        demo.say(f"  {line}")
    demo.summary.append(f"config rendered with keel.ssm.parameter: {config}")


STEPS = [
    ("Start the AWS stand-in", start_aws_stand_in),
    ("Seed the Parameter Store tree", seed_parameter_tree),
    ("Render the application config from Parameter Store", render_config),
]


def main():
    demo = Demo()
    demo.workdir.mkdir(parents=True, exist_ok=True)
    try:
        for number, (title, step) in enumerate(STEPS, 1):
            demo.say(f"\n== {number}/{len(STEPS)} {title}")
            step(demo)
    except Exception as exc:
        demo.say(f"\ndemo failed: {exc}")
        return 1
    finally:
        if demo.moto is not None:
            demo.moto.stop()
    demo.say("\n== Done")
    for line in demo.summary:
        demo.say(f"  - {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
