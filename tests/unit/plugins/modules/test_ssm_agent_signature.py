"""keel.ssm.ssm_agent_signature against real gpg-made keys and signatures (gpg and gpgv from the test
machine; the same gpgv the role installs on hosts)."""

from __future__ import annotations

import base64
import shutil
import subprocess

import pytest

from ansible_collections.keel.ssm.plugins.module_utils.errors import KeelHostError
from ansible_collections.keel.ssm.plugins.modules.ssm_agent_signature import (
    crc24,
    dearmor,
    judge,
    parse_status,
)
from tests.helpers.module_runner import run_module

GPG = shutil.which("gpg")
needs_gpg = pytest.mark.skipif(not (GPG and shutil.which("gpgv")), reason="gpg and gpgv are needed to make signatures")


def gpg(home, *args):
    return subprocess.run([GPG, "--batch", "--homedir", str(home), *args], check=True, capture_output=True).stdout


class Signer:
    def __init__(self, root, name, faked_time=None, expire="never"):
        self.home = root / name
        self.home.mkdir(mode=0o700)
        self.faked = ["--faked-system-time", faked_time] if faked_time else []
        gpg(
            self.home,
            "--passphrase",
            "",
            *self.faked,
            "--quick-gen-key",
            f"{name} <{name}@keel.invalid>",
            "rsa2048",
            "sign",
            expire,
        )
        self.armored = gpg(self.home, "--armor", "--export").decode()
        self.binary = gpg(self.home, "--export")
        colons = gpg(self.home, "--with-colons", "--fingerprint").decode()
        self.fingerprint = next(line.split(":")[9] for line in colons.splitlines() if line.startswith("fpr:"))

    def sign(self, path, faked_time=None):
        faked = ["--faked-system-time", faked_time] if faked_time else self.faked
        gpg(self.home, "--yes", *faked, "--detach-sign", "--output", f"{path}.sig", str(path))
        return f"{path}.sig"

    def stop(self):
        subprocess.run(["gpgconf", "--homedir", str(self.home), "--kill", "all"], check=False)


@pytest.fixture(scope="module")
def signers(tmp_path_factory):
    if not (GPG and shutil.which("gpgv")):
        pytest.skip("gpg and gpgv are needed to make signatures")
    root = tmp_path_factory.mktemp("gnupg")
    made = {
        "aws": Signer(root, "aws"),
        "other": Signer(root, "other"),
        # A key that expired in 2020, with a signature made while it was valid.
        "expired": Signer(root, "expired", faked_time="20200101T000000!", expire="1d"),
    }
    yield made
    for signer in made.values():
        signer.stop()


@pytest.fixture
def package(tmp_path):
    path = tmp_path / "amazon-ssm-agent.deb"
    path.write_bytes(b"!<arch>\nnot really a package\n")
    return path


def verify(tmp_path, package, signature, public_key, fingerprint, **extra):
    args = {"path": str(package), "signature": signature, "public_key": public_key, "fingerprint": fingerprint}
    return run_module("ssm_agent_signature", {**args, **extra})


@needs_gpg
def test_dearmor_gives_the_binary_key_and_checks_the_armor_crc(signers):
    assert dearmor(signers["aws"].armored) == signers["aws"].binary
    both = dearmor(signers["aws"].armored + "\n" + signers["other"].armored)
    assert both == signers["aws"].binary + signers["other"].binary
    lines = signers["aws"].armored.splitlines()
    body = next(i for i, line in enumerate(lines) if len(line) > 40)
    lines[body] = ("A" if lines[body][0] != "A" else "B") + lines[body][1:]
    with pytest.raises(KeelHostError, match="checksum mismatch"):
        dearmor("\n".join(lines))


def test_dearmor_refuses_text_without_a_key_block():
    with pytest.raises(KeelHostError, match="no ASCII-armored public key block"):
        dearmor("ssh-rsa AAAAB3Nza")
    with pytest.raises(KeelHostError, match="no END line"):
        dearmor("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQENBGTt\n")


def test_crc24_matches_the_openpgp_reference_value():
    # RFC 4880 CRC-24 of no data is the initial value; of "123456789" it is 0x21CF02.
    assert crc24(b"") == 0xB704CE
    assert crc24(b"123456789") == 0x21CF02
    assert base64.b64encode(crc24(b"123456789").to_bytes(3, "big")) == b"Ic8C"


@needs_gpg
def test_good_signature_by_the_pinned_key(tmp_path, signers, package):
    aws = signers["aws"]
    spaced = " ".join(aws.fingerprint[i : i + 4] for i in range(0, 40, 4)).lower()
    result = verify(tmp_path, package, aws.sign(package), aws.armored, spaced)
    assert result.get("failed") is not True, result
    assert result["changed"] is False
    assert result["fingerprint"] == aws.fingerprint == result["primary_fingerprint"]


@needs_gpg
def test_altered_package_fails(tmp_path, signers, package):
    signature = signers["aws"].sign(package)
    package.write_bytes(package.read_bytes() + b"tampered")
    result = verify(tmp_path, package, signature, signers["aws"].armored, signers["aws"].fingerprint)
    assert result["failed"] is True
    assert "BAD signature" in result["msg"]


@needs_gpg
def test_signature_by_a_key_that_was_not_given(tmp_path, signers, package):
    result = verify(
        tmp_path, package, signers["other"].sign(package), signers["aws"].armored, signers["aws"].fingerprint
    )
    assert result["failed"] is True
    assert "which is not in public_key" in result["msg"]


@needs_gpg
def test_signature_by_a_given_but_unpinned_key(tmp_path, signers, package):
    keys = signers["aws"].armored + signers["other"].armored
    result = verify(tmp_path, package, signers["other"].sign(package), keys, signers["aws"].fingerprint)
    assert result["failed"] is True
    assert (
        f"by key {signers['other'].fingerprint}, not by the pinned fingerprint {signers['aws'].fingerprint}"
        in result["msg"]
    )


@needs_gpg
def test_signature_by_an_expired_key_fails_although_gpgv_exits_0(tmp_path, signers, package):
    expired = signers["expired"]
    signature = expired.sign(package, faked_time="20200101T120000!")
    result = verify(tmp_path, package, signature, expired.armored, expired.fingerprint)
    assert result["failed"] is True
    assert "expired key" in result["msg"]


@needs_gpg
def test_check_mode_verifies_too(tmp_path, signers, package):
    aws = signers["aws"]
    args = {
        "path": str(package),
        "signature": aws.sign(package),
        "public_key": aws.armored,
        "fingerprint": aws.fingerprint,
    }
    result = run_module("ssm_agent_signature", args, check=True)
    assert result["fingerprint"] == aws.fingerprint


def test_bad_options_are_named(tmp_path, package):
    base = {"path": str(package), "signature": str(package), "public_key": "x"}
    result = run_module("ssm_agent_signature", {**base, "fingerprint": "1234"})
    assert "fingerprint: expected 40 (v4) or 64 (v5)" in result["msg"]
    result = run_module(
        "ssm_agent_signature", {**base, "signature": str(tmp_path / "none.sig"), "fingerprint": "A" * 40}
    )
    assert "signature:" in result["msg"] and "is not a file" in result["msg"]
    result = run_module("ssm_agent_signature", {**base, "fingerprint": "A" * 40, "gpgv": str(tmp_path / "no-gpgv")})
    assert "gpgv:" in result["msg"] and "is not an executable" in result["msg"]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["REVKEYSIG 0123 someone"], "revoked key"),
        (["EXPSIG 0123 someone"], "signature that has expired"),
        (["ERRSIG 0123 1 10 00 1 9 -", "NO_PUBKEY 0123"], "key 0123, which is not in public_key"),
        ([], "no good signature"),
    ],
)
def test_judge_refuses_every_status_but_a_good_pinned_signature(lines, message):
    status = parse_status("\n".join(f"[GNUPG:] {line}" for line in lines) + "\ngpgv: noise\n")
    with pytest.raises(KeelHostError, match=message):
        judge(status, "A" * 40)


def test_judge_accepts_a_subkey_of_the_pinned_primary():
    primary, subkey = "A" * 40, "B" * 40
    status = parse_status(
        f"[GNUPG:] GOODSIG BBBB x\n[GNUPG:] VALIDSIG {subkey} 2025-01-01 1735689600 0 4 0 1 10 00 {primary}\n"
    )
    assert judge(status, primary) == (subkey, primary, "1735689600")
