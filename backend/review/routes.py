"""HTTP routes for supervisors: case review, integrity badge, spot checks, statistics, holds, disposal."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Request, Response, get, post

from backend.client_address import client_ip
from backend.errors import Forbidden, Invalid
from backend.identity.access import Principal, principal_of
from backend.identity.access_log import log_access
from backend.identity.roles import access_rule, holders
from backend.ledger.ledger import Ledger
from backend.ledger.schemas import EntryOut
from backend.recordings import links
from backend.review import retention, spotchecks
from backend.review.agency_scope import month_of
from backend.review.approval_view import approval_view
from backend.review.directory import filter_choices, staff_names
from backend.review.draw_flags import draw_flags
from backend.review.integrity import case_integrity
from backend.review.places import CasePlaces, case_places
from backend.review.review_cases import pending_approvals, review_cases
from backend.review.schemas import (
    DisposalRequest,
    DrawRequest,
    FindingRequest,
    HoldRequest,
    RecordingLinkRequest,
    ReleaseRequest,
)
from backend.review.statistics import DIMENSIONS, officer_units, statistics, statistics_csv
from backend.review.statistics_chart import bar_chart_svg
from backend.review.statistics_words import directory_index, metric_title
from backend.settings import Settings

SUPERVISING = holders("supervise")
DISPOSING = holders("dispose")
SUPERVISOR_RULE = access_rule("supervise")
DISPOSER_RULE = access_rule("dispose")
READER_RULE = access_rule("read_agency")


def supervisor(request: Request, roles: frozenset[str] = SUPERVISING) -> Principal:
    user = principal_of(request)
    if not user.roles & roles:
        raise Forbidden("this needs a supervising role", code="role_required")
    return user


def now() -> datetime:
    return datetime.now(UTC)


@get(
    "/cases/{case_id:str}/integrity",
    operation_id="caseIntegrity",
    opt={"access": "case:read"},
    tags=["review"],
)
async def integrity(case_id: str, ledger: Ledger) -> dict[str, Any]:
    """Chain, inclusion of the last entry in the latest checkpoint, and the checkpoint's signature."""
    return await case_integrity(ledger, case_id)


@get(
    "/cases/{case_id:str}/places",
    operation_id="casePlaces",
    opt={"access": "case:read"},
    tags=["review"],
)
async def places(case_id: str, ledger: Ledger, settings: Settings) -> CasePlaces:
    """The positions the case's entries claim, oldest first, and the agency's map service if any."""
    return await case_places(ledger, case_id, settings.map_tile_url)


@get("/review/cases", operation_id="reviewCases", opt={"access": SUPERVISOR_RULE}, tags=["review"])
async def list_review_cases(
    request: Request,
    ledger: Ledger,
    stage: str | None = None,
    enforcement_kind: str | None = None,
    officer: str | None = None,
    unit: str | None = None,
    overdue: bool = False,
    problems: bool = False,
) -> list[dict[str, Any]]:
    """The agency's cases with compliance badges, filtered by unit, officer, stage, kind, overdue, problems."""
    me = supervisor(request)
    unit_officers = None
    if unit:
        unit_officers = {s for s, u in (await officer_units()).items() if u == unit}
    return await review_cases(
        ledger, me.agency_id, now(), stage=stage, enforcement_kind=enforcement_kind,
        officer=officer, unit_officers=unit_officers, overdue=overdue, problems=problems,
    )  # fmt: skip


@get(
    "/review/approvals",
    operation_id="pendingApprovals",
    opt={"access": SUPERVISOR_RULE},
    tags=["review"],
)
async def approvals(request: Request, ledger: Ledger) -> list[dict[str, Any]]:
    """Entries waiting for a passkey approval (the challenge is the entry hash)."""
    return await pending_approvals(ledger, supervisor(request).agency_id)


@get(
    "/review/approvals/{entry_hash:str}",
    operation_id="approvalItem",
    opt={"access": SUPERVISOR_RULE},
    tags=["review"],
)
async def approval_item(request: Request, entry_hash: str, ledger: Ledger) -> dict[str, Any]:
    """One item waiting for approval with what the approver must see: the record in words, its
    photos and recordings, and the case's compliance. Viewing it is logged on the case."""
    me = supervisor(request)
    view = await approval_view(ledger, me, entry_hash, now())
    if not view["case_id"].startswith("agency:"):
        await log_access(
            ledger, me, view["case_id"], "entry", what=entry_hash, ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )  # fmt: skip
    return view


@get(
    "/review/spot-checks",
    operation_id="spotCheckLedger",
    opt={"access": SUPERVISOR_RULE},
    tags=["review"],
)
async def spot_check_ledger(request: Request, period: str | None = None) -> list[dict[str, Any]]:
    """The inspection ledger (检查台帐): sampled recordings, findings, pending and overdue."""
    me = supervisor(request)
    return await spotchecks.spot_check_ledger(me.agency_id, now(), period)


@get(
    "/review/spot-checks/draws",
    operation_id="spotCheckDrawFlags",
    opt={"access": SUPERVISOR_RULE},
    tags=["review"],
)
async def spot_check_draw_flags(request: Request, ledger: Ledger) -> list[dict[str, Any]]:
    """Random-draw commitments abandoned, replaced, or unrevealed past their deadline, by officer."""
    return await draw_flags(ledger, supervisor(request).agency_id, now())


@post(
    "/review/spot-checks/draw",
    operation_id="drawSpotChecks",
    opt={"access": SUPERVISOR_RULE},
    tags=["review"],
    status_code=201,
)
async def draw(request: Request, data: DrawRequest, ledger: Ledger) -> list[dict[str, Any]]:
    """Draw a month's sample now (the periodic job does it for the month just ended)."""
    me = supervisor(request)
    period = month_of(now()) if data.period is None else data.period
    entries = await spotchecks.draw_period(ledger, me.agency_id, period, now(), me.staff_id)
    return [e.to_json() for e in entries]


@post(
    "/review/spot-checks/findings",
    operation_id="recordSpotCheckFinding",
    opt={"access": SUPERVISOR_RULE},
    tags=["review"],
    status_code=201,
)
async def finding(request: Request, data: FindingRequest, ledger: Ledger) -> dict[str, Any]:
    """The supervisor's structured finding on a replayed recording."""
    me = supervisor(request)
    entry = await spotchecks.record_finding(
        ledger, me.agency_id, actor=me.staff_id, client_id=data.client_id, draw=data.draw,
        entry_hash=data.entry_hash, outcome=data.outcome, checks=data.checks, notes=data.notes,
        replayed_s=data.replayed_s, follow_up=data.follow_up,
    )  # fmt: skip
    return entry.to_json()


async def statistics_report(
    request: Request, ledger: Ledger, group_by: str, month_from: str | None, month_to: str | None
) -> tuple[Principal, dict[str, Any]]:
    me = supervisor(request)
    dims = tuple(d for d in group_by.split(",") if d in DIMENSIONS)
    return me, await statistics(ledger, me.agency_id, now(), dims, month_from, month_to)


@get(
    "/review/statistics",
    operation_id="reviewStatistics",
    opt={"access": SUPERVISOR_RULE},
    tags=["review"],
)
async def stats(
    request: Request,
    ledger: Ledger,
    group_by: str = "officer,month",
    month_from: str | None = None,
    month_to: str | None = None,
    format: str = "json",
    lang: str = "zh-CN",
) -> Any:
    """Counts per agency, unit, officer and month as JSON (with `titles` in words for each
    metric), or as CSV with `format=csv`: Chinese (or `lang=en`) column titles and names."""
    me, report = await statistics_report(request, ledger, group_by, month_from, month_to)
    if format == "csv":
        return Response(
            statistics_csv(report, await staff_names(me.agency_id), lang),
            media_type="text/csv; charset=utf-8",
            headers={
                "content-disposition": 'attachment; filename="statistics.csv"; '
                "filename*=UTF-8''%E6%89%A7%E6%B3%95%E7%BB%9F%E8%AE%A1.csv"
            },
        )
    return {**report, "titles": {m: metric_title(m, lang) for m in report["metrics"]}}


@get(
    "/review/statistics/chart",
    operation_id="reviewStatisticsChart",
    opt={"access": SUPERVISOR_RULE},
    tags=["review"],
)
async def stats_chart(
    request: Request,
    ledger: Ledger,
    metric: str = "cases",
    group_by: str = "officer,month",
    month_from: str | None = None,
    month_to: str | None = None,
    lang: str = "zh-CN",
) -> Response:
    """One metric of the statistics as an SVG bar chart, labelled in words (names, months)."""
    me, report = await statistics_report(request, ledger, group_by, month_from, month_to)
    if metric not in report["metrics"]:
        raise Invalid("no such statistic", code="bad_metric", detail=metric[:40])
    names = directory_index(await staff_names(me.agency_id))
    return Response(
        bar_chart_svg(report, metric, names, lang),
        media_type="image/svg+xml; charset=utf-8",
        headers={"cache-control": "no-store"},
    )


@get(
    "/review/retention",
    operation_id="retentionList",
    opt={"access": SUPERVISOR_RULE},
    tags=["review"],
)
async def retention_list(request: Request, ledger: Ledger) -> list[dict[str, Any]]:
    """Every kept blob with its record class, due date and holds."""
    me = supervisor(request)
    return [r.json() for r in await retention.agency_retention(ledger, me.agency_id)]


@get("/review/holds", operation_id="holdList", opt={"access": SUPERVISOR_RULE}, tags=["review"])
async def hold_list(request: Request) -> list[dict[str, Any]]:
    """Holds in force on the agency's cases."""
    return await retention.agency_holds(supervisor(request).agency_id)


@get(
    "/review/disposals",
    operation_id="disposalBatches",
    opt={"access": SUPERVISOR_RULE},
    tags=["review"],
)
async def batches(request: Request) -> list[dict[str, Any]]:
    """Disposal batches, newest first: waiting for an approver's passkey, approved, or disposed."""
    return await retention.disposal_batches(supervisor(request).agency_id)


@post(
    "/cases/{case_id:str}/holds",
    operation_id="placeHold",
    opt={"access": "case:read"},
    tags=["review"],
    status_code=201,
)
async def place_hold(
    request: Request, case_id: str, data: HoldRequest, ledger: Ledger
) -> dict[str, Any]:
    """A supervisor's long-term hold on a case (or on some of its blobs)."""
    me = supervisor(request)
    entry = await retention.place_hold(
        ledger, case_id, actor=me.staff_id, client_id=data.client_id, trigger="supervisor",
        reason=data.reason, blobs=data.blobs,
    )  # fmt: skip
    return entry.to_json()


@post(
    "/cases/{case_id:str}/holds/{hold:str}/release",
    operation_id="releaseHold",
    opt={"access": "case:read"},
    tags=["review"],
    status_code=201,
)
async def release_hold(
    request: Request, case_id: str, hold: str, data: ReleaseRequest, ledger: Ledger
) -> dict[str, Any]:
    me = supervisor(request)
    entry = await retention.release_hold(
        ledger, case_id, hold, actor=me.staff_id, client_id=data.client_id, reason=data.reason
    )
    return entry.to_json()


@post(
    "/review/disposals",
    operation_id="proposeDisposal",
    opt={"access": DISPOSER_RULE},
    tags=["review"],
    status_code=201,
)
async def propose(request: Request, data: DisposalRequest, ledger: Ledger) -> dict[str, Any]:
    """List what is past retention and not held, as a batch for an approver to sign."""
    me = supervisor(request, DISPOSING)
    entry = await retention.propose_disposal(
        ledger, me.agency_id, now(), actor=me.staff_id, client_id=data.client_id,
        reason=data.reason,
    )  # fmt: skip
    return entry.to_json()


@post(
    "/review/disposals/{batch:str}/execute",
    operation_id="executeDisposal",
    opt={"access": DISPOSER_RULE},
    tags=["review"],
    status_code=200,
)
async def execute(request: Request, batch: str, ledger: Ledger) -> dict[str, Any]:
    """Delete a signed batch's blobs and leave tombstones; refused without the approver's passkey."""
    me = supervisor(request, DISPOSING)
    blobs = request.app.state.blobs
    return await retention.dispose(ledger, blobs, me.agency_id, batch, now(), actor=me.staff_id)


@get("/staff/names", operation_id="staffNames", opt={"access": READER_RULE}, tags=["review"])
async def names(request: Request) -> dict[str, Any]:
    """Names and units of the agency's staff, so screens show people rather than ids."""
    return await staff_names(principal_of(request).agency_id)


@get(
    "/review/filters",
    operation_id="reviewFilters",
    opt={"access": SUPERVISOR_RULE},
    tags=["review"],
)
async def filters(request: Request) -> dict[str, Any]:
    """Choices for the case list's filters: units, officers, the pack's stages and enforcement kinds."""
    return await filter_choices(supervisor(request).agency_id)


@post(
    "/review/recordings/{sha256:str}/links",
    operation_id="reviewLinkRecording",
    opt={"access": SUPERVISOR_RULE},
    tags=["review"],
    status_code=201,
)
async def link_recording(
    request: Request, sha256: str, data: RecordingLinkRequest, ledger: Ledger
) -> EntryOut:
    """A supervisor files an unassigned recording under a case (and step) from the review screen.

    The import routes let only officers link (their own cases); supervisors, who are not
    officers, work through this route to the same `recording.linked` entry.
    """
    me = supervisor(request)
    entry = await links.link_recording(
        ledger, agency_id=me.agency_id, actor=me.staff_id,
        sha256=sha256.lower(), case_id=data.case_id, client_id=data.client_id, step=data.step,
        for_entry=data.for_entry, proposed=False,
    )  # fmt: skip
    return msgspec.convert(entry.to_json(), EntryOut)


API_ROUTES = [
    names, filters, link_recording,
    integrity, places, list_review_cases, approvals, approval_item, spot_check_ledger, spot_check_draw_flags, draw,
    finding, stats, stats_chart,
    retention_list, hold_list, batches, place_hold, release_hold, propose, execute,
]  # fmt: skip
