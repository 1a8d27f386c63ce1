"""Service state: links (token hashes only), notices on the public board, public photo copies.

The ledger holds every fact; these rows are what the public routes look up quickly.
"""

from __future__ import annotations

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class ServiceLink(Table, tablename="service_link"):
    """One link serving one document to one party; the token itself is never stored."""

    token_sha256 = Varchar(length=64, unique=True)
    link_entry = Varchar(length=64, unique=True)
    case_id = Varchar(length=120, index=True)
    agency_id = Varchar(length=80)
    document_entry = Varchar(length=64)
    document_sha256 = Varchar(length=64)
    document_name = Varchar(length=200)
    recipient = Varchar(length=200)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    statement_deadline = Timestamptz(null=True, default=None)
    statement_days = Integer(null=True, default=None)
    first_opened_at = Timestamptz(null=True, default=None)
    confirmed_entry = Varchar(length=64, null=True, default=None)


class PublicNotice(Table, tablename="public_notice"):
    """A notice on the public board, already masked; taken_down_at set when it comes down."""

    notice_entry = Varchar(length=64, unique=True)
    case_id = Varchar(length=120, index=True)
    agency_id = Varchar(length=80, index=True)
    purpose = Varchar(length=20)
    title = Varchar(length=200)
    public_text = Text()
    recipient_public = Varchar(length=200, default="")
    document_sha256 = Varchar(length=64, null=True, default=None)
    service_record = Varchar(length=64, null=True, default=None)
    start_date = Varchar(length=10)
    period_days = Integer()
    period_unit = Varchar(length=20, default="days")
    deemed_served_on = Varchar(length=10, null=True, default=None)
    published_at = Timestamptz()
    ends_at = Timestamptz()
    taken_down_at = Timestamptz(null=True, default=None)


class PublicCopy(Table, tablename="public_copy"):
    """The EXIF-free copy of a posting photo that the board may show."""

    source_sha256 = Varchar(length=64, unique=True)
    public_sha256 = Varchar(length=64)
