"""Case projections: current state of each case, rebuilt from its timeline at any time."""

from __future__ import annotations

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class CaseState(Table, tablename="case_state"):
    """A case as its timeline says it is now (a projection, never the source of truth)."""

    case_id = Varchar(length=120, unique=True)
    agency_id = Varchar(length=80, index=True)
    number = Varchar(length=120, null=True)
    title = Varchar(length=300)
    stage = Varchar(length=40)
    status = Varchar(length=40)
    enforcement_kind = Varchar(length=40)
    procedure = Varchar(length=40)
    start_path = Varchar(length=40)
    opened_at = Timestamptz()
    updated_at = Timestamptz()
    parties = Text(default="[]")
    last_seq = Integer(default=0)


class DocumentNumber(Table, tablename="document_number"):
    """One serial taken by one document (its generating request's client_id)."""

    agency_id = Varchar(length=80)
    document_kind = Varchar(length=40)
    year = Integer()
    serial = Integer()
    client_id = Varchar(length=200, unique=True)
    case_id = Varchar(length=120)
