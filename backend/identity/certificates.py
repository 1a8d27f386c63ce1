"""Enforcement certificates (执法证): a valid date, and no enforcement records under an expired one.

Every seed requires the record to name the officers' certificate numbers and that they were shown
(hebei §…(一), lingchuan §9, mingshan §10, pingluo (一), zhengxiang (一)); an officer whose
certificate has lapsed is not qualified to enforce, so a record they write would be defective at
its source. The generic append route therefore refuses `record.*` entries from such an officer.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from backend.errors import Forbidden, Invalid
from backend.identity.access import Principal
from backend.identity.roles import holders

# Certificates are issued and expire by Chinese calendar date, whatever the server's zone.
CHINA = ZoneInfo("Asia/Shanghai")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EXPIRING_DAYS = 30
# Writers who act as enforcement officers; reviewers and approvers sign as office-holders.
CERTIFIED_ROLES = holders("certified")

CertStatus = Literal["valid", "expiring", "expired", "missing"]


def check_cert_date(value: str | None) -> str | None:
    """The date as stored (YYYY-MM-DD), or `bad_cert_date` for anything that is not a real date."""
    if value is None:
        return None
    try:
        if not DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise Invalid(
            "证件有效期应为 YYYY-MM-DD 日期 / certificate validity must be a YYYY-MM-DD date",
            code="bad_cert_date",
        ) from None


def china_date(moment: datetime) -> date:
    return moment.astimezone(CHINA).date()


def cert_status(valid_until: str | None, on: date) -> CertStatus:
    """`valid_until` is the last day the certificate is valid."""
    if not valid_until:
        return "missing"
    try:
        until = date.fromisoformat(valid_until)
    except ValueError:  # a value stored before dates were checked counts as none
        return "missing"
    if until < on:
        return "expired"
    return "expiring" if until - on <= timedelta(days=EXPIRING_DAYS) else "valid"


def act_date(claimed: dict[str, Any] | None, received: datetime) -> date:
    """The day the act happened: the device's claim (offline captures sync later), never a future one.

    A backdated claim stays visible on the entry as its clock offset; it cannot reach past the
    receiving day into the future to stretch a certificate.
    """
    received_day = china_date(received)
    text = (claimed or {}).get("time")
    if not isinstance(text, str):
        return received_day
    try:
        claimed_at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return received_day
    if claimed_at.tzinfo is None:
        return received_day
    return min(china_date(claimed_at), received_day)


async def check_may_write_record(
    principal: Principal, kind: str, claimed: dict[str, Any] | None, now: datetime
) -> None:
    """Refuse an enforcement record from an officer whose certificate had expired on the act's day."""
    if not kind.startswith("record.") or not principal.roles & CERTIFIED_ROLES:
        return
    from backend.identity.tables import Staff

    row = (
        await Staff.select(Staff.cert_valid_until, Staff.cert_number)
        .where(Staff.staff_id == principal.staff_id)
        .first()
    )
    until = row["cert_valid_until"] if row else None
    if cert_status(until, act_date(claimed, now)) == "expired":
        raise Forbidden(
            f"执法证已于 {until} 过期，不能制作执法记录，请联系管理员更新证件"
            f" / your enforcement certificate expired on {until}: you may not write enforcement"
            " records until an administrator records a valid one",
            code="certificate_expired",
            detail={"cert_number": row["cert_number"] if row else None, "valid_until": until},
        )
