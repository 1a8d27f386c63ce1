"""Anchoring checkpoints with an RFC 3161 time-stamping authority (a local `openssl ts` TSA)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from backend.ledger.timestamp import TimestampError, request_timestamp, verify_timestamp

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")

CHECKPOINT = b"casetrail.example/log\n42\nq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=\n"


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _make_ca_and_tsa(directory: Path, label: str) -> tuple[bytes, bytes]:
    """A root CA and a TSA certificate it issued (critical EKU timeStamping); returns PEMs."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{label} Root CA"))
        .issuer_name(_name(f"{label} Root CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{label} TSA"))
        .issuer_name(ca_cert.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_pem = ca_cert.public_bytes(pem)
    tsa_pem = tsa_cert.public_bytes(pem)
    (directory / "ca.pem").write_bytes(ca_pem)
    (directory / "tsa.pem").write_bytes(tsa_pem)
    (directory / "tsa.key").write_bytes(
        tsa_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (directory / "serial").write_text("01\n")
    # No `certs =` line: openssl would embed the CA after the TSA certificate without DER
    # set ordering, which rfc3161-client's strict parser refuses (InvalidSetOrdering).
    (directory / "tsa.cnf").write_text(
        f"""
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {directory}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""
    )
    return tsa_pem, ca_pem


@pytest.fixture(scope="module")
def tsa():
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        tsa_pem, ca_pem = _make_ca_and_tsa(directory, "Test")
        lock = threading.Lock()  # openssl ts bumps the serial file: one reply at a time

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                query = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers["Content-Type"] != "application/timestamp-query":
                    self.send_error(415)
                    return
                with lock:
                    (directory / "query.tsq").write_bytes(query)
                    subprocess.run(
                        [
                            "openssl",
                            "ts",
                            "-reply",
                            "-config",
                            str(directory / "tsa.cnf"),
                            "-queryfile",
                            str(directory / "query.tsq"),
                            "-out",
                            str(directory / "reply.tsr"),
                        ],
                        check=True,
                        capture_output=True,
                    )
                    reply = (directory / "reply.tsr").read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield {
                "url": f"http://127.0.0.1:{server.server_address[1]}/tsr",
                "chain": tsa_pem + ca_pem,
                "directory": directory,
            }
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


def test_a_checkpoint_is_anchored_at_a_trusted_time(tsa):
    before = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=2)
    token = request_timestamp(CHECKPOINT, tsa["url"])
    when = verify_timestamp(token, CHECKPOINT, tsa["chain"])
    assert when.tzinfo is not None
    assert before <= when <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)


def test_a_token_does_not_vouch_for_other_data(tsa):
    token = request_timestamp(CHECKPOINT, tsa["url"])
    with pytest.raises(TimestampError):
        verify_timestamp(token, CHECKPOINT.replace(b"42", b"43"), tsa["chain"])


def test_a_token_from_an_untrusted_tsa_is_rejected(tsa, tmp_path):
    token = request_timestamp(CHECKPOINT, tsa["url"])
    other_tsa, other_ca = _make_ca_and_tsa(tmp_path, "Other")
    with pytest.raises(TimestampError):
        verify_timestamp(token, CHECKPOINT, other_tsa + other_ca)


def test_a_tampered_token_is_rejected(tsa):
    token = bytearray(request_timestamp(CHECKPOINT, tsa["url"]))
    token[len(token) // 2] ^= 0x01
    with pytest.raises(TimestampError):
        verify_timestamp(bytes(token), CHECKPOINT, tsa["chain"])


def test_an_unreachable_tsa_is_reported_as_a_timestamp_error():
    with pytest.raises(TimestampError, match="did not answer"):
        request_timestamp(CHECKPOINT, "http://127.0.0.1:9/tsr", timeout=2)


def test_the_tsa_certificate_alone_is_not_enough_without_its_root(tsa):
    token = request_timestamp(CHECKPOINT, tsa["url"])
    tsa_only = tsa["chain"].split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n"
    with pytest.raises(TimestampError, match="root"):
        verify_timestamp(token, CHECKPOINT, tsa_only)
