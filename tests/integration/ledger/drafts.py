from __future__ import annotations

import uuid

from backend.ledger.entry import Draft


def note(case_id: str, text: str = "现场检查开始", **kw) -> Draft:
    return Draft(
        case_id=case_id, kind="note", client_id=str(uuid.uuid4()), payload={"text": text}, **kw
    )
