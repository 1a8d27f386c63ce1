"""RFC 3161 timestamps for checkpoints: ask a time-stamping authority (TSA) and check its answer.

A TSA token anchors a signed checkpoint in time independently of the server's own clock, so a
checkpoint cannot be back-dated later. Parsing and verification use `rfc3161-client`, imported
on first use (~4.5 MB resident): a server without a TSA never reads a token.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from datetime import UTC, datetime

from cryptography import x509

_QUERY_TYPE = "application/timestamp-query"
_REPLY_TYPE = "application/timestamp-reply"
_MAX_REPLY = 1 << 20


class TimestampError(ValueError):
    """The TSA could not be reached, refused, or its token does not cover the data."""


def request_timestamp(data: bytes, tsa_url: str, timeout: float = 10.0) -> bytes:
    """Ask the TSA at `tsa_url` to timestamp SHA-256(data); return its DER TimeStampResp.

    The reply is checked against the request (granted, same digest, same nonce) but not against
    the TSA's certificate: that is verify_timestamp's job, done with the certificate pinned.
    """
    from rfc3161_client import (
        HashAlgorithm,
        PKIStatus,
        TimestampRequestBuilder,
        decode_timestamp_response,
    )

    request = (
        TimestampRequestBuilder()
        .data(data)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    http_request = urllib.request.Request(
        tsa_url,
        data=request.as_bytes(),
        headers={"Content-Type": _QUERY_TYPE, "Accept": _REPLY_TYPE},
        method="POST",
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as response:
            reply = response.read(_MAX_REPLY + 1)
    except (urllib.error.URLError, OSError) as exc:
        raise TimestampError(f"TSA {tsa_url} did not answer: {exc}") from exc
    if len(reply) > _MAX_REPLY:
        raise TimestampError(f"TSA {tsa_url} sent an oversized reply")
    try:
        parsed = decode_timestamp_response(reply)
    except ValueError as exc:
        raise TimestampError(f"TSA {tsa_url} sent an unreadable reply: {exc}") from exc
    if parsed.status != PKIStatus.GRANTED:  # the verifier accepts nothing else
        raise TimestampError(f"TSA {tsa_url} refused: {parsed.status_string}")
    info = parsed.tst_info
    if info.message_imprint.message != hashlib.sha256(data).digest():
        raise TimestampError(f"TSA {tsa_url} timestamped a different digest")
    if info.nonce != request.nonce:
        raise TimestampError(f"TSA {tsa_url} answered with another request's nonce")
    return reply


def verify_timestamp(token: bytes, data: bytes, tsa_cert_pem: bytes) -> datetime:
    """Check that `token` (a DER TimeStampResp) covers `data`; return the TSA's time (UTC).

    `tsa_cert_pem` holds the TSA's certificate first, followed by its chain up to and including
    a self-signed root: the self-signed certificates in it are the trust anchors, the others
    intermediates. Raises TimestampError if anything does not match.
    """
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    try:
        certificates = x509.load_pem_x509_certificates(tsa_cert_pem)
    except ValueError as exc:
        raise TimestampError(f"TSA certificate is not readable PEM: {exc}") from exc
    tsa_cert, chain = certificates[0], certificates[1:]
    roots = [c for c in certificates if c.issuer == c.subject]
    if not roots:
        # OpenSSL only trusts a chain that ends in a self-signed root it was given
        raise TimestampError("TSA certificate PEM must include its self-signed root certificate")
    builder = VerifierBuilder().tsa_certificate(tsa_cert)
    for root in roots:
        builder = builder.add_root_certificate(root)
    for intermediate in chain:
        if intermediate not in roots:
            builder = builder.add_intermediate_certificate(intermediate)
    try:
        response = decode_timestamp_response(bytes(token))
        builder.build().verify_message(response, bytes(data))
    except (ValueError, VerificationError) as exc:
        raise TimestampError(f"timestamp does not verify: {exc}") from exc
    when = response.tst_info.gen_time
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def stamped_time(token: bytes) -> datetime | None:
    """The time a token states, read without checking it (for display; `verify` checks it)."""
    from rfc3161_client import decode_timestamp_response

    try:
        when = decode_timestamp_response(bytes(token)).tst_info.gen_time
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
