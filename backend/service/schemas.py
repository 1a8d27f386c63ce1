"""Request and response shapes of the service routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

import msgspec


class CreateLink(msgspec.Struct, forbid_unknown_fields=True):
    client_id: str
    document_entry: str
    recipient: str | None = None
    expires_at: datetime | None = None
    statement_deadline: datetime | None = None
    statement_days: int | None = None


class LinkOut(msgspec.Struct):
    link_entry: str
    document_entry: str
    document_sha256: str
    document_name: str
    recipient: str
    status: str
    expires_at: str
    served_at: str | None
    statement_deadline: str | None
    confirmed_entry: str | None


class CreatedLink(msgspec.Struct):
    """The token appears here once and nowhere else; a resend gets token = null."""

    link: LinkOut
    token: str | None
    url: str | None
    qr_svg: str | None
    qr_png_base64: str | None


class RevokeLink(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class PublishNotice(msgspec.Struct, forbid_unknown_fields=True):
    client_id: str
    purpose: Literal["service", "decision"]
    title: str
    text: str
    document_entry: str | None = None
    service_record: str | None = None
    start_date: date | None = None
    period_days: int | None = None


class WithdrawNotice(msgspec.Struct, forbid_unknown_fields=True):
    note: str


class Confirm(msgspec.Struct, forbid_unknown_fields=True):
    method: Literal["drawn", "passkey"]
    credential: dict[str, Any] | None = None
    png_base64: str | None = None
    strokes: list[list[list[float]]] | None = None


class CopyRequest(msgspec.Struct, forbid_unknown_fields=True):
    """The party names records of their case and asks to view or copy them."""

    purpose: Literal["view", "copy"]
    items: list[str]
    note: str = ""
