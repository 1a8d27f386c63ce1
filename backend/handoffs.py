"""Where a domain answers a question an earlier domain asks, connected once at import.

The declared order (backend/domains.py) lets a domain import only the domains before it. Three
questions run the other way; the earlier domain names the question, the later one answers, and
this wiring module connects them (imported by the runtime, so by the app, the CLI and tests):

- identity's access rules ask cases for a case's agency, membership and title;
- identity's signing hands service a signature over a party's copy request (check, then answer);
- the ledger's verification asks cases to re-run every random inspection draw.
"""

from __future__ import annotations

from backend.cases.facts import CASE_FACTS
from backend.cases.random_draw import draw_claims
from backend.identity import case_facts, signatures
from backend.ledger import verify
from backend.service import record_copies

case_facts.connect(CASE_FACTS)
signatures.answer_signed_requests(
    record_copies.REQUESTED,
    signatures.SignedAnswer(record_copies.check_answer, record_copies.answer_after_signature),
)
verify.add_claim_check(draw_claims)
