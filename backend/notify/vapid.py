"""The server's VAPID key pair (RFC 8292), made in data_dir/keys on first use."""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid02

FILE_NAME = "vapid.pem"


def load_or_create(keys_dir: Path) -> Vapid02:
    path = Path(keys_dir) / FILE_NAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Vapid02()
        key.generate_keys()
        # Two senders (workers, threads) may make a key at once: each writes its own file, and
        # only the first one linked into place is ever used, since subscriptions are tied to it.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="vapid-", suffix=".tmp")
        os.close(fd)
        try:
            key.save_key(tmp)
            os.chmod(tmp, 0o600)
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return Vapid02.from_file(str(path))


def application_server_key(key: Vapid02) -> str:
    """The public key as the browser's `applicationServerKey` wants it (base64url, uncompressed point)."""
    raw = key.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
