"""A software WebAuthn authenticator (P-256, attestation "none") so tests can register and sign in
without a browser. It builds authenticatorData and clientDataJSON exactly as a platform authenticator
does; the crypto is `cryptography`'s, the encoding `cbor2`'s.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftAuthenticator:
    """One device's authenticator; holds one credential per registration, like a phone."""

    origin: str = "http://localhost:8000"
    rp_id: str = "localhost"
    user_verified: bool = True
    credentials: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": challenge,
                "origin": origin or self.origin,
                "crossOrigin": False,
            },
            separators=(",", ":"),
        ).encode()

    def _flags(self, extra: int = 0) -> int:
        return UP | (UV if self.user_verified else 0) | extra

    def register(
        self, options: dict[str, Any], origin: str | None = None, rp_id: str | None = None
    ) -> dict[str, Any]:
        """Answer navigator.credentials.create() options with a new credential."""
        key = ec.generate_private_key(ec.SECP256R1())
        numbers = key.public_key().public_numbers()
        cose = cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        cred_id = os.urandom(32)
        rp_hash = hashlib.sha256((rp_id or options["rp"]["id"]).encode()).digest()
        auth_data = (
            rp_hash
            + bytes([self._flags(AT)])
            + struct.pack(">I", 0)
            + bytes(16)
            + struct.pack(">H", len(cred_id))
            + cred_id
            + cose
        )
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        cid = b64url(cred_id)
        self.credentials[cid] = {"key": key, "user": options["user"]["id"], "count": 0}
        return {
            "id": cid,
            "rawId": cid,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }

    def assert_(
        self,
        options: dict[str, Any] | None = None,
        *,
        challenge: str | None = None,
        credential_id: str | None = None,
        origin: str | None = None,
        rp_id: str | None = None,
        count_step: int = 1,
    ) -> dict[str, Any]:
        """Answer navigator.credentials.get() with the (first or named) credential."""
        cid = credential_id or next(iter(self.credentials))
        cred = self.credentials[cid]
        cred["count"] += count_step
        rp_hash = hashlib.sha256((rp_id or self.rp_id).encode()).digest()
        auth_data = rp_hash + bytes([self._flags()]) + struct.pack(">I", cred["count"])
        client_data = self._client_data(
            "webauthn.get", challenge or (options or {})["challenge"], origin
        )
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = cred["key"].sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": cid,
            "rawId": cid,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": cred["user"],
            },
            "clientExtensionResults": {},
        }
