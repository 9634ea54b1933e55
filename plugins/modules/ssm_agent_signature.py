#!/usr/bin/python
# Copyright: keel.ssm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ssm_agent_signature
short_description: Verify a detached OpenPGP signature of an SSM Agent package against a pinned key
version_added: 0.1.0
description:
  - Checks the detached signature (C(amazon-ssm-agent.deb.sig) / C(.rpm.sig), published by AWS next to each
    package) of a downloaded package with C(gpgv), using only the public key given in O(public_key), and
    requires the signing key to be the one whose fingerprint is pinned in O(fingerprint).
  - The armored key is converted to a keyring in a private temporary directory that is removed afterwards;
    no user or system keyring is read or changed, and no gpg-agent is started.
  - Fails, saying why, when the signature does not match the file (altered or corrupted download), was made by
    a key that is not in O(public_key), by a key other than the pinned one, or by an expired or revoked key.
  - Read-only; never reports a change. Used by the keel.ssm.ssm_agent role.
options:
  path:
    description: The downloaded package.
    type: path
    required: true
  signature:
    description: The detached signature of O(path).
    type: path
    required: true
  public_key:
    description:
      - One or more ASCII-armored OpenPGP public key blocks, for example the SSM Agent public key that AWS
        publishes in "Verifying the signature of SSM Agent".
    type: str
    required: true
  fingerprint:
    description:
      - Fingerprint of the key that must have made the signature (primary key or signing subkey), 40 or 64
        hexadecimal digits; blanks are ignored. Take it from AWS's documentation, not from the key file.
    type: str
    required: true
  gpgv:
    description: Path of C(gpgv); found on C(PATH) (C(gpgv), then C(gpgv2)) when empty.
    type: path
requirements:
  - gpgv (Debian package C(gpgv); C(gnupg2) on RPM platforms)
attributes:
  check_mode:
    support: full
    description: Verifies as usual (verifying changes nothing).
  diff_mode:
    support: none
    description: Returns no diff.
author:
  - keel.ssm contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Verify the agent package before installing it
  keel.ssm.ssm_agent_signature:
    path: /var/cache/keel/ssm_agent/amazon-ssm-agent.deb
    signature: /var/cache/keel/ssm_agent/amazon-ssm-agent.deb.sig
    public_key: "{{ ssm_agent_public_key }}"
    fingerprint: "{{ ssm_agent_key_fingerprint }}"
"""

RETURN = r"""
fingerprint:
  description: Fingerprint of the key (or subkey) that made the signature.
  type: str
  returned: success
primary_fingerprint:
  description: Fingerprint of that key's primary key.
  type: str
  returned: success
signed_at:
  description: Creation time of the signature (seconds since the epoch, as gpgv reports it).
  type: str
  returned: success
"""

import base64
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelHostError, KeelRuleError
from ansible_collections.keel.ssm.plugins.module_utils.host.ssm_agent_rules import FINGERPRINT, normalize_fingerprint
from ansible_collections.keel.ssm.plugins.module_utils.runner import run_module

BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
END = "-----END PGP PUBLIC KEY BLOCK-----"
# OpenPGP radix-64 checksum (RFC 4880, section 6.1).
CRC24_INIT = 0xB704CE
CRC24_POLY = 0x1864CFB


def crc24(data):
    crc = CRC24_INIT
    for byte in bytearray(data):
        crc ^= byte << 16
        for _attempt in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= CRC24_POLY
    return crc & 0xFFFFFF


def dearmor(text):
    """Binary OpenPGP packets of every public key block in text; the armor checksum is checked."""
    blocks = []
    lines = iter(text.replace("\r\n", "\n").split("\n"))
    for line in lines:
        if line.strip() != BEGIN:
            continue
        body, checksum, in_headers = [], None, True
        for inner in lines:
            inner = inner.strip()
            if inner == END:
                break
            if in_headers:
                if not inner:
                    in_headers = False
                    continue
                if ": " in inner:
                    continue  # armor header such as "Version: GnuPG v2"
                in_headers = False
            if inner.startswith("="):
                checksum = inner[1:]
            elif inner:
                body.append(inner)
        else:
            raise KeelHostError("public_key: a public key block has no END line")
        try:
            data = base64.b64decode("".join(body), validate=True)
        except ValueError:
            raise KeelHostError("public_key: the key block is not valid base64") from None
        if checksum is not None:
            try:
                expected = int.from_bytes(base64.b64decode(checksum, validate=True), "big")
            except ValueError:
                raise KeelHostError("public_key: the armor checksum line is not valid base64") from None
            if crc24(data) != expected:
                raise KeelHostError("public_key: armor checksum mismatch (the key text was altered or truncated)")
        if not data:
            raise KeelHostError("public_key: an empty public key block")
        blocks.append(data)
    if not blocks:
        raise KeelHostError(f"public_key: no ASCII-armored public key block ({BEGIN}) found")
    return b"".join(blocks)


def parse_status(output):
    """gpgv --status-fd lines -> {keyword: [fields, ...]}."""
    status = {}
    for line in output.splitlines():
        if not line.startswith("[GNUPG:] "):
            continue
        parts = line.removeprefix("[GNUPG:] ").split(" ")
        status.setdefault(parts[0], []).append(parts[1:])
    return status


def judge(status, pinned):
    """Return (signing fingerprint, primary fingerprint, timestamp) of a good signature by the pinned key,
    or raise KeelHostError saying why the package must not be trusted."""
    if "BADSIG" in status:
        raise KeelHostError("BAD signature: the package does not match its signature (altered or corrupted)")
    for keyword, meaning in (("EXPKEYSIG", "an expired key"), ("REVKEYSIG", "a revoked key"), ("EXPSIG", "")):
        if keyword in status:
            what = meaning or "a signature that has expired"
            raise KeelHostError(f"signature made by {what} ({' '.join(status[keyword][0][:1])})")
    if "GOODSIG" not in status:
        missing = status.get("NO_PUBKEY") or status.get("ERRSIG")
        if missing:
            raise KeelHostError(f"signature made by key {missing[0][0]}, which is not in public_key")
        raise KeelHostError("no good signature found")
    for fields in status.get("VALIDSIG", []):
        signer = fields[0].upper()
        primary = fields[-1].upper() if len(fields) >= 10 else signer
        if pinned in (signer, primary):
            return signer, primary, fields[2] if len(fields) > 2 else ""
    signers = ", ".join(fields[-1].upper() for fields in status.get("VALIDSIG", [])) or "unknown"
    raise KeelHostError(f"good signature, but by key {signers}, not by the pinned fingerprint {pinned}")


def verify(gpgv, run_command, path, signature, public_key, pinned):
    workdir = tempfile.mkdtemp(prefix="keel-ssm-agent-gpgv-")
    try:
        os.chmod(workdir, 0o700)
        keyring = os.path.join(workdir, "trusted.gpg")
        with open(keyring, "wb") as handle:
            handle.write(dearmor(public_key))
        rc, out, err = run_command(
            [gpgv, "--homedir", workdir, "--status-fd", "1", "--keyring", keyring, signature, path],
            environ_update={"LC_ALL": "C"},
        )
        try:
            return judge(parse_status(out), pinned)
        except KeelHostError as exc:
            if rc != 0 and "BAD" not in str(exc) and err.strip():
                raise KeelHostError(f"{exc} (gpgv: {err.strip().splitlines()[-1]})") from None
            raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


ARGUMENT_SPEC = {
    "path": {"type": "path", "required": True},
    "signature": {"type": "path", "required": True},
    "public_key": {"type": "str", "required": True},
    "fingerprint": {"type": "str", "required": True},
    "gpgv": {"type": "path"},
}


def run(module):
    params = module.params
    pinned = normalize_fingerprint(params["fingerprint"])
    if not FINGERPRINT.match(pinned):
        raise KeelRuleError("fingerprint: expected 40 (v4) or 64 (v5) hexadecimal digits")
    for name in ("path", "signature"):
        if not os.path.isfile(params[name]):
            raise KeelRuleError(f"{name}: {params[name]} is not a file")
    if params["gpgv"] and not os.access(params["gpgv"], os.X_OK):
        raise KeelRuleError(f"gpgv: {params['gpgv']} is not an executable")
    gpgv = params["gpgv"] or module.get_bin_path("gpgv") or module.get_bin_path("gpgv2")
    if not gpgv:
        raise KeelHostError("gpgv not found: install the gpgv package (Debian) or gnupg2 (RPM platforms)")
    try:
        signer, primary, signed_at = verify(
            gpgv, module.run_command, params["path"], params["signature"], params["public_key"], pinned
        )
    except KeelHostError as exc:
        raise KeelHostError(f"{params['path']}: {exc}") from None
    return {"changed": False, "fingerprint": signer, "primary_fingerprint": primary, "signed_at": signed_at}


def main():
    run_module(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True), run)


if __name__ == "__main__":
    main()
