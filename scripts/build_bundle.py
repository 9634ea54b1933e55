#!/usr/bin/env python3
"""Build the keel.ssm bundle from this checkout (make bundle): a thin wrapper over the
collection's plugins/plugin_utils/bundle_builder.py, which the keel.ssm.bundle action
(playbooks/publish.yml) uses too. See that file for the layout and what ships.

Usage: build_bundle.py [--output build/keel-ssm-bundle.zip]
"""

from __future__ import annotations

import argparse
import os
import sys

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUTPUT = os.path.join(REPO_ROOT, "build", "keel-ssm-bundle.zip")
# make venv links the checkout as .collections/ansible_collections/keel/ssm.
sys.path.insert(0, os.path.join(REPO_ROOT, ".collections"))

try:
    from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelRuleError
    from ansible_collections.keel.ssm.plugins.plugin_utils import bundle_builder
except ImportError as error:  # pragma: no cover - a checkout without make venv
    sys.exit(f"build_bundle.py: {error}; run `make venv` (it links the checkout into .collections/)")


def build(output=DEFAULT_OUTPUT):
    """(path, sha256, number of files) of the bundle written to output."""
    result = bundle_builder.build(output, root=REPO_ROOT)
    return result["dest"], result["sha256"], result["files"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    try:
        output, digest, count = build(args.output)
    except KeelRuleError as error:
        parser.error(str(error))
    print(f"{os.path.relpath(output, REPO_ROOT)}: {count} files, {os.path.getsize(output)} bytes, sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
