"""CaseTrail settings: one typed object read once from the environment."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """`10.0.0.5, 192.168.0.0/16, ::1` -> networks; a bad entry stops the start, it is not ignored."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as bad:
            raise ValueError(
                f"CASETRAIL_TRUSTED_PROXIES: {item!r} is not an IP address or CIDR range"
            ) from bad
    return tuple(networks)


TILE_PLACEHOLDERS = ("{z}", "{x}", "{y}")


def tile_origin(template: str) -> str:
    parts = urlsplit(template)
    return f"{parts.scheme}://{parts.netloc}"


def parse_tile_url(text: str) -> str:
    """A map tile URL template, checked: https (or http), a host, and {z}, {x} and {y}.

    It ends up in the pages' Content-Security-Policy, so anything but a plain origin and path
    (a quote, a semicolon, a space) stops the start rather than widening the policy.
    """
    text = text.strip()
    if not text:
        return ""
    parts = urlsplit(text)
    safe = re.fullmatch(r"[A-Za-z0-9._~:/?#\[\]@!$&()*+,=%{}-]+", text) and ";" not in text
    if (
        parts.scheme not in ("https", "http")
        or not parts.hostname
        or not safe
        or "'" in text
        or not all(p in text for p in TILE_PLACEHOLDERS)
    ):
        raise ValueError(
            f"CASETRAIL_MAP_TILE_URL: {text!r} is not a tile URL like https://host/{{z}}/{{x}}/{{y}}.png"
        )
    return text


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name)
    return int(value) if value else default


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name)
    return float(value) if value else default


@dataclass(frozen=True)
class MediaLimits:
    """Largest accepted upload per media kind, in bytes."""

    photo: int = 50 * 1024 * 1024
    audio: int = 500 * 1024 * 1024
    video: int = 4 * 1024 * 1024 * 1024
    document: int = 50 * 1024 * 1024
    signature: int = 5 * 1024 * 1024


@dataclass(frozen=True)
class ConnectionLimits:
    """How long and how slowly a client may hold a connection (see backend/http_limits.py)."""

    header_timeout_s: float = 10.0
    # A phone on a poor 2G link still sends kilobytes a second; a whole minute is allowed
    # because a phone that loses its signal for a while comes back on the same request.
    min_body_rate: float = 512.0  # bytes a second, averaged over a window
    body_window_s: float = 60.0
    max_per_client: int = 32  # open connections per peer address; 0 turns the cap off
    # Our reverse proxies (CASETRAIL_TRUSTED_PROXIES) carry everyone's connections: never capped.
    uncapped: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignInLimits:
    """How many sign-in ceremonies one client address may start (see backend/identity/signin_throttle.py).

    Every ceremony leaves a challenge row, so without a limit anyone could fill the database. The
    defaults sit far above a station signing in its whole shift from behind one NAT address.
    """

    rate: int = 600  # ceremonies started and failed sign-ins per address per window
    window_s: float = 60.0
    per_address: int = 2000  # challenges one address made within their lifetime (5 minutes)
    total: int = 100_000  # unused, unexpired challenges of everyone together


@dataclass(frozen=True)
class Settings:
    """Everything CaseTrail reads from its environment; defaults are the embedded set-up."""

    data_dir: Path
    database_url: str
    blob_store: str = ""
    log_name: str = "casetrail.local/log"
    public_url: str = "http://localhost:8000"
    rp_id: str = "localhost"
    rp_name: str = "CaseTrail 执法全过程记录"
    origins: tuple[str, ...] = ("http://localhost:8000",)
    # The tail after the last checkpoint is what an insider could drop unnoticed: keep it short.
    checkpoint_interval_s: float = 60
    checkpoint_first_s: float = 2
    tsa_url: str = ""
    tsa_cert: str = ""  # PEM file: the TSA's certificate and its chain up to a self-signed root
    # A dossier seal issued by the agency's CA (PEM files); empty: a self-signed one in keys_dir.
    seal_key: str = ""
    seal_cert: str = ""
    seal_chain: str = ""
    # Witnesses of this log (`URL VKEY, ...`) and, as a witness, the logs' verifier keys.
    witnesses: str = ""
    witness_for: tuple[str, ...] = ()
    witness_name: str = ""
    session_idle_s: int = 30 * 60
    session_absolute_s: int = 12 * 3600
    max_json_bytes: int = 1024 * 1024
    media_limits: MediaLimits = field(default_factory=MediaLimits)
    connection_limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    signin_limits: SignInLimits = field(default_factory=SignInLimits)
    cookie_secure: bool = False
    # Reverse proxies whose X-Forwarded-For is believed; empty: the peer is always the client.
    # Kept as CIDR text: handlers receive the settings through msgspec, which has no network type.
    trusted_proxies: tuple[str, ...] = ()
    # The officer app's files; the default is the checkout's pwa/ (tests serve a changed copy).
    pwa_dir: Path = Path(__file__).resolve().parents[1] / "pwa"
    # The agency's map service as a tile URL template (`https://…/{z}/{x}/{y}.png`); empty: the
    # case map is a plain plot with a scale. Pages may then load images from its origin.
    map_tile_url: str = ""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("CASETRAIL_DATA_DIR") or Path.cwd() / "data").resolve()
        public_url = env.get("CASETRAIL_PUBLIC_URL", "http://localhost:8000").rstrip("/")
        origins = tuple(
            o.strip() for o in env.get("CASETRAIL_ORIGINS", public_url).split(",") if o.strip()
        )
        trusted_proxies = tuple(
            str(n) for n in parse_networks(env.get("CASETRAIL_TRUSTED_PROXIES", ""))
        )
        return cls(
            data_dir=data_dir,
            database_url=env.get("CASETRAIL_DATABASE_URL")
            or f"sqlite:///{data_dir / 'casetrail.sqlite'}",
            blob_store=env.get("CASETRAIL_BLOB_STORE", ""),
            log_name=env.get("CASETRAIL_LOG_NAME", "casetrail.local/log"),
            public_url=public_url,
            rp_id=env.get("CASETRAIL_RP_ID", "localhost"),
            origins=origins,
            checkpoint_interval_s=_float(env, "CASETRAIL_CHECKPOINT_INTERVAL_S", 60),
            checkpoint_first_s=_float(env, "CASETRAIL_CHECKPOINT_FIRST_S", 2),
            tsa_url=env.get("CASETRAIL_TSA_URL", ""),
            tsa_cert=env.get("CASETRAIL_TSA_CERT", ""),
            seal_key=env.get("CASETRAIL_SEAL_KEY", ""),
            seal_cert=env.get("CASETRAIL_SEAL_CERT", ""),
            seal_chain=env.get("CASETRAIL_SEAL_CHAIN", ""),
            witnesses=env.get("CASETRAIL_WITNESSES", ""),
            witness_for=tuple(
                k.strip() for k in env.get("CASETRAIL_WITNESS_FOR", "").split(",") if k.strip()
            ),
            witness_name=env.get("CASETRAIL_WITNESS_NAME", ""),
            session_idle_s=_int(env, "CASETRAIL_SESSION_IDLE_S", 30 * 60),
            session_absolute_s=_int(env, "CASETRAIL_SESSION_ABSOLUTE_S", 12 * 3600),
            cookie_secure=public_url.startswith("https://"),
            trusted_proxies=trusted_proxies,
            pwa_dir=Path(env.get("CASETRAIL_PWA_DIR") or cls.pwa_dir).resolve(),
            map_tile_url=parse_tile_url(env.get("CASETRAIL_MAP_TILE_URL", "")),
            media_limits=MediaLimits(
                photo=_int(env, "CASETRAIL_MAX_PHOTO_BYTES", MediaLimits.photo),
                audio=_int(env, "CASETRAIL_MAX_AUDIO_BYTES", MediaLimits.audio),
                video=_int(env, "CASETRAIL_MAX_VIDEO_BYTES", MediaLimits.video),
                document=_int(env, "CASETRAIL_MAX_DOCUMENT_BYTES", MediaLimits.document),
            ),
            connection_limits=ConnectionLimits(
                header_timeout_s=_float(
                    env, "CASETRAIL_HEADER_TIMEOUT_S", ConnectionLimits.header_timeout_s
                ),
                min_body_rate=_float(
                    env, "CASETRAIL_MIN_BODY_RATE", ConnectionLimits.min_body_rate
                ),
                body_window_s=_float(
                    env, "CASETRAIL_BODY_RATE_WINDOW_S", ConnectionLimits.body_window_s
                ),
                max_per_client=_int(
                    env, "CASETRAIL_MAX_CONNECTIONS_PER_CLIENT", ConnectionLimits.max_per_client
                ),
                uncapped=trusted_proxies,
            ),
            signin_limits=SignInLimits(
                rate=_int(env, "CASETRAIL_SIGNIN_RATE", SignInLimits.rate),
                window_s=_float(env, "CASETRAIL_SIGNIN_WINDOW_S", SignInLimits.window_s),
                per_address=_int(env, "CASETRAIL_SIGNIN_OUTSTANDING", SignInLimits.per_address),
                total=_int(env, "CASETRAIL_SIGNIN_OUTSTANDING_TOTAL", SignInLimits.total),
            ),
        )

    @property
    def map_tile_origin(self) -> str:
        """The scheme and host the map tiles come from (what CSP img-src must allow), or ""."""
        return tile_origin(self.map_tile_url) if self.map_tile_url else ""

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"
