"""Evidence tables: media and device projections of the ledger, and derivative blobs of originals."""

from __future__ import annotations

from piccolo.columns import Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class EvidenceMedia(Table, tablename="evidence_media"):
    """Which case each blob was finalised into (a projection of media.* entries)."""

    entry_hash = Varchar(length=64, unique=True)
    sha256 = Varchar(length=64, index=True)
    case_id = Varchar(length=120, index=True)
    kind = Varchar(length=40)
    media_type = Varchar(length=100)
    received_at = Timestamptz()


class EvidenceDerivative(Table, tablename="evidence_derivative"):
    """A blob made from an original (thumbnail, EXIF-free public copy, video poster frame).

    Derivatives are conveniences, not evidence: the original blob stays byte-exact and the
    entry names only the original. Each derivative names the original it was made from.
    """

    original = Varchar(length=64, index=True)
    variant = Varchar(length=20)
    sha256 = Varchar(length=64)
    media_type = Varchar(length=100)
    width = Integer(null=True)
    height = Integer(null=True)
    created_at = Timestamptz()


class EvidenceDevice(Table, tablename="evidence_device"):
    """A recording device as its agency timeline says it is now (projection of device.* entries)."""

    agency_id = Varchar(length=80, index=True)
    number = Varchar(length=120)
    # `device_key(number)`: what registration, import and capture compare ("DSJ-0123456" and
    # "0123456" are one recorder).
    number_key = Varchar(length=120, null=True)
    type = Varchar(length=20)
    assigned_to = Varchar(length=120, null=True)
    make = Varchar(length=120, null=True)
    model = Varchar(length=120, null=True)
    registered_at = Timestamptz()
    last_check_at = Timestamptz(null=True)
    last_check_ok = Boolean(null=True)
    last_check_problems = Text(default="[]")
    open_fault = Text(null=True)
    out_of_service = Boolean(default=False)
