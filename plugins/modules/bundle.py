#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: bundle
short_description: Build the keel.ssm bundle (the zip the keel-ssm-* documents run)
version_added: 0.1.0
description:
  - Builds, on the controller, the zip the C(keel-ssm-*) SSM documents and the AWS-owned
    C(AWS-ApplyAnsiblePlaybooks) document download, with C(ansible.cfg), the playbooks instances run
    (C(playbooks/baseline.yml) and one per role), this collection's plugins, roles,
    C(meta/runtime.yml) and C(LICENSE) with a C(MANIFEST.json) naming its version, C(bin/keel-run)
    and C(BUNDLE.json).
  - What ships is an explicit list; test harnesses (such as C(playbooks/rehearse.yml)) and
    controller playbooks (C(playbooks/publish.yml)) do not.
  - Built from the collection the task runs from, a checkout or one installed with
    C(ansible-galaxy collection install); both give the same bytes.
  - Reproducible, so the same sources give the same bytes and the same SHA-256 (sorted
    entries, fixed timestamps and permissions).
  - Runs as an action plugin on the controller, whatever the task's host.
attributes:
  check_mode:
    support: full
    description: Builds the zip in memory and reports C(changed) exactly; writes nothing.
  diff_mode:
    support: none
    description: A zip has no useful text diff; RV(sha256) tells whether the bytes changed.
options:
  dest:
    description:
      - Path of the zip to write on the controller. Its directory is created if needed; the
        zip is written to a temporary file beside it and renamed into place.
      - Must be outside the collection's own directory (an installed collection is
        shared, and is checked against its C(FILES.json)). The one exception is the
        C(build/) directory of a checkout (a collection with its C(galaxy.yml)), which
        C(build_ignore) keeps out of the collection tarball.
      - C(changed) is true when I(dest) did not already hold these bytes.
    type: path
    required: true
author:
  - keel.ssm contributors (!UNKNOWN)
seealso:
  - module: keel.ssm.s3_bundle
"""

EXAMPLES = r"""
- name: Build the bundle
  keel.ssm.bundle:
    dest: "{{ lookup('ansible.builtin.env', 'HOME') }}/.cache/keel-ssm/keel-ssm-bundle.zip"
  register: bundle

- name: Publish it
  keel.ssm.s3_bundle:
    src: "{{ bundle.dest }}"
    bucket: example-keel-bundles
    region: eu-west-1
"""

RETURN = r"""
dest:
  description: Absolute path of the zip.
  returned: always
  type: str
  sample: /home/admin/.cache/keel-ssm/keel-ssm-bundle.zip
sha256:
  description: SHA-256 of the zip (the same value C(keel.ssm.s3_bundle) returns).
  returned: always
  type: str
size:
  description: Size of the zip in bytes.
  returned: always
  type: int
files:
  description: Number of files in the zip.
  returned: always
  type: int
"""

# keel.ssm.bundle runs as an action plugin (plugins/action/bundle.py), which validates its
# arguments against this spec; there is no module code to run on a host.
ARGUMENT_SPEC = {"dest": {"type": "path", "required": True}}
