"""HTTP routes for identity (thin: passkeys, sessions, staff, invites, signatures, exports do the work)."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import segno
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.params import QueryParameter

from backend.client_address import client_ip
from backend.errors import CaseTrailError
from backend.identity import (
    directory,
    exports,
    invites,
    members,
    passkeys,
    sessions,
    sign_requests,
    signatures,
)
from backend.identity.access import Principal, principal_of
from backend.identity.access_log import log_access
from backend.identity.schemas import (
    ColleagueOut,
    CopyIn,
    CopyOut,
    CoSignerOut,
    CredentialIn,
    Deactivate,
    ExportRequestIn,
    InviteCancel,
    InviteCancelledOut,
    InviteIn,
    InviteInfo,
    InviteOut,
    MemberIn,
    MemberOut,
    MemberRemoval,
    MeOut,
    PasskeyOut,
    PendingInviteOut,
    PermissionOut,
    RegisteredOut,
    RevokedOut,
    RevokeIn,
    SignatureOut,
    SignIn,
    SignOptionsIn,
    SignRequestIn,
    StaffChange,
    StaffOut,
    ToSignOut,
)
from backend.identity.signin_throttle import address, signin_throttle
from backend.identity.staff import (
    agency_staff,
    change_staff,
    deactivate_staff,
    principal_of_row,
    staff_row,
)
from backend.identity.tables import CaseMember
from backend.ledger.entry import Entry
from backend.ledger.ledger import Ledger
from backend.ledger.routes import entry_out
from backend.ledger.schemas import EntryOut
from backend.settings import Settings


def me_out(p: Principal) -> MeOut:
    return MeOut(p.staff_id, p.agency_id, p.name, sorted(p.roles), sorted(p.clearances))


def invite_token(request: Request) -> str:
    return request.headers.get(invites.INVITE_TOKEN_HEADER, "")


def where_from(request: Request) -> tuple[str | None, str | None]:
    return client_ip(request), request.headers.get("user-agent")


async def signed_in_response(
    request: Request, settings: Settings, staff: dict[str, Any], credential_id: str, status: int
) -> Response[MeOut]:
    ip, agent = where_from(request)
    token, csrf = await sessions.start_session(
        staff["staff_id"], credential_id, settings, ip, agent
    )
    cookies = [
        Cookie(
            key=sessions.SESSION_COOKIE,
            value=token,
            httponly=True,
            secure=settings.cookie_secure,
            samesite="strict",
            path="/",
            max_age=settings.session_absolute_s,
        ),
        # Readable by the app (double submit); the server also keeps it with the session.
        Cookie(
            key=sessions.CSRF_COOKIE,
            value=csrf,
            httponly=False,
            secure=settings.cookie_secure,
            samesite="strict",
            path="/",
            max_age=settings.session_absolute_s,
        ),
    ]
    return Response(me_out(principal_of_row(staff)), cookies=cookies, status_code=status)


def signed_out_response() -> Response[None]:
    return Response(
        None,
        status_code=204,
        cookies=[
            Cookie(key=sessions.SESSION_COOKIE, value="", max_age=0, path="/", httponly=True),
            Cookie(key=sessions.CSRF_COOKIE, value="", max_age=0, path="/"),
        ],
    )


class SessionController(Controller):
    path = ""
    tags = ["identity"]

    # Anonymous ceremonies write challenge rows: each passes the sign-in throttle (429).
    @get(
        "/invite",
        operation_id="openInvite",
        opt={"access": "public", "link_token": True, "throttled": True},
    )
    async def open_invite(self, request: Request, settings: Settings) -> InviteInfo:
        """What an invitation is for, with the options to register its first passkey.

        The token travels in the `X-Invite-Token` header, never in the path or query.
        """
        throttle, ip = signin_throttle(request), address(request)
        await throttle.check(ip)
        try:
            invite = await invites.open_invite(invite_token(request))
        except CaseTrailError:  # a guessed or spent token: counted, so guessing is throttled too
            await throttle.failed(ip)
            raise
        await throttle.admit_challenge(ip)
        options = await passkeys.registration_options(settings, invites.invited_staff(invite))
        return InviteInfo(invite["name"], invite["agency_id"], json.loads(invite["roles"]), options)

    @post(
        "/invite/passkey",
        operation_id="registerInvitedPasskey",
        opt={"access": "public", "link_token": True, "throttled": True},
        status_code=201,
    )
    async def register_invited(
        self, request: Request, data: CredentialIn, settings: Settings, ledger: Ledger
    ) -> Response[MeOut]:
        """Register the invited person's first passkey; the invitation is used up and they are signed in."""
        throttle, ip = signin_throttle(request), address(request)
        await throttle.check(ip)
        try:
            invite = await invites.open_invite(invite_token(request))
            staff = invites.invited_staff(invite)
            # Verify first (nothing is written if the ceremony fails), then use the invitation once.
            credential, verified = await passkeys.verify_registration(
                settings, staff, data.credential
            )
        except CaseTrailError:
            await throttle.failed(ip)
            raise
        await invites.use_invite(invite)
        done = await passkeys.record_passkey(
            settings, ledger, staff, credential, verified, data.label
        )
        return await signed_in_response(
            request, settings, await staff_row(staff["staff_id"]), done["credential_id"], 201
        )

    @post(
        "/session/options",
        operation_id="signInOptions",
        opt={"access": "public", "throttled": True},
        status_code=200,
    )
    async def sign_in_options(self, request: Request, settings: Settings) -> dict[str, Any]:
        """Options for navigator.credentials.get() to sign in with any registered passkey."""
        await signin_throttle(request).admit_challenge(address(request))
        return await passkeys.authentication_options(settings)

    @post(
        "/session",
        operation_id="signIn",
        opt={"access": "public", "throttled": True},
        status_code=200,
    )
    async def sign_in(
        self, request: Request, data: CredentialIn, settings: Settings
    ) -> Response[MeOut]:
        """Sign in with a passkey (user verification required); sets the session and CSRF cookies."""
        throttle, ip = signin_throttle(request), address(request)
        await throttle.check(ip)
        try:
            key, staff = await passkeys.finish_authentication(settings, data.credential)
        except CaseTrailError:  # a wrong passkey, a replayed or unknown answer
            await throttle.failed(ip)
            raise
        return await signed_in_response(request, settings, staff, key["credential_id"], 200)

    @delete("/session", operation_id="signOut", opt={"access": "staff"}, status_code=204)
    async def sign_out(self, request: Request) -> Response[None]:
        """End this session."""
        auth = request.scope.get("auth")
        if auth is not None:
            await sessions.end_session(auth.token_hash)
        return signed_out_response()

    @post(
        "/session/everywhere/end",
        operation_id="signOutEverywhere",
        opt={"access": "staff"},
        status_code=204,
    )
    async def sign_out_everywhere(self, request: Request) -> Response[None]:
        """End every session of the caller on every device."""
        await sessions.end_all_sessions(principal_of(request).staff_id)
        return signed_out_response()

    @get("/me", operation_id="whoAmI", opt={"access": "staff"})
    async def me(self, request: Request) -> MeOut:
        """The signed-in staff member, with their 执法证号 (record forms start with it filled in)."""
        me = principal_of(request)
        out = me_out(me)
        out.cert_number = (await staff_row(me.staff_id)).get("cert_number")
        return out


class PasskeyController(Controller):
    path = "/passkeys"
    tags = ["identity"]

    @get("/", operation_id="listPasskeys", opt={"access": "staff"})
    async def list_passkeys(self, request: Request) -> list[PasskeyOut]:
        """The caller's passkeys (phone, tablet ...), revoked ones included."""
        rows = await passkeys.list_passkeys(principal_of(request).staff_id)
        return [msgspec.convert(r, PasskeyOut) for r in rows]

    @post("/options", operation_id="addPasskeyOptions", opt={"access": "staff"}, status_code=200)
    async def add_options(self, request: Request, settings: Settings) -> dict[str, Any]:
        """Options to register one more passkey for the signed-in caller."""
        me = principal_of(request)
        staff = {"staff_id": me.staff_id, "agency_id": me.agency_id, "name": me.name}
        return await passkeys.registration_options(settings, staff)

    @post("/", operation_id="addPasskey", opt={"access": "staff"}, status_code=201)
    async def add(
        self, request: Request, data: CredentialIn, settings: Settings, ledger: Ledger
    ) -> RegisteredOut:
        """Register one more passkey for the caller (recorded on the agency timeline)."""
        me = principal_of(request)
        staff = {"staff_id": me.staff_id, "agency_id": me.agency_id, "name": me.name}
        done = await passkeys.finish_registration(
            settings, ledger, staff, data.credential, data.label
        )
        return RegisteredOut(**done)

    @post(
        "/{credential_id:str}/revoke",
        operation_id="revokePasskey",
        opt={"access": "staff"},
        status_code=200,
    )
    async def revoke(
        self, request: Request, credential_id: str, data: RevokeIn, ledger: Ledger
    ) -> RevokedOut:
        """Revoke a passkey (own, or any in the agency as admin); its sessions end."""
        done = await passkeys.revoke_passkey(
            ledger, principal_of(request), credential_id, data.reason
        )
        return RevokedOut(**done)


class StaffController(Controller):
    path = ""
    tags = ["identity"]

    @post("/invites", operation_id="inviteStaff", opt={"access": "role:admin"}, status_code=201)
    async def invite(
        self, request: Request, data: InviteIn, settings: Settings, ledger: Ledger
    ) -> InviteOut:
        """Invite a colleague into the admin's own agency; the link is shown once."""
        me = principal_of(request)
        made = await invites.create_invite(
            settings,
            me.agency_id,
            list(data.roles),
            name=data.name,
            unit_id=data.unit_id,
            created_by=me.staff_id,
            ledger=ledger,
            cert_number=data.cert_number,
            cert_valid_until=data.cert_valid_until,
        )
        # A QR code, so the new colleague can open the link on their own phone.
        qr = segno.make(made["link"], error="m").svg_inline(scale=4)
        return InviteOut(made["link"], made["staff_id"], made["expires_at"], qr)

    @get("/invites", operation_id="listPendingInvites", opt={"access": "role:admin"})
    async def pending(self, request: Request) -> list[PendingInviteOut]:
        """The admin's agency's invitations not yet used, cancelled or expired (tokens never shown)."""
        rows = await invites.pending_invites(principal_of(request).agency_id)
        return [PendingInviteOut(**r) for r in rows]

    @post(
        "/invites/{staff_id:str}/cancel",
        operation_id="cancelInvite",
        opt={"access": "role:admin"},
        status_code=200,
    )
    async def cancel_invite(
        self, request: Request, staff_id: str, data: InviteCancel, ledger: Ledger
    ) -> InviteCancelledOut:
        """Cancel a pending invitation (a ledger entry); its link is refused from now on."""
        done = await invites.cancel_invite(ledger, principal_of(request), staff_id, data.reason)
        return InviteCancelledOut(**done)

    @get("/staff", operation_id="listStaff", opt={"access": "role:admin|supervisor"})
    async def list_staff(self, request: Request) -> list[StaffOut]:
        """Staff of the caller's agency."""
        rows = await agency_staff(principal_of(request).agency_id)
        return [msgspec.convert(r, StaffOut) for r in rows]

    @get("/staff/directory", operation_id="listColleagues", opt={"access": "staff"})
    async def directory(self, request: Request) -> list[ColleagueOut]:
        """Active colleagues of the caller's own agency (name, unit, 执法证号), for pickers."""
        rows = await directory.colleagues(principal_of(request).agency_id)
        return [ColleagueOut(**r) for r in rows]

    @get("/signatures/to-sign", operation_id="listMySignRequests", opt={"access": "staff"})
    async def to_sign(self, request: Request) -> list[ToSignOut]:
        """Colleagues' requests that I sign an entry, on cases I am on, not yet signed."""
        return [ToSignOut(**r) for r in await sign_requests.to_sign(principal_of(request))]

    @patch("/staff/{staff_id:str}", operation_id="changeStaff", opt={"access": "role:admin"})
    async def change(
        self, request: Request, staff_id: str, data: StaffChange, ledger: Ledger
    ) -> StaffOut:
        """Change a colleague's roles, clearances or enforcement certificate (a ledger entry)."""
        row = await change_staff(
            ledger,
            principal_of(request),
            staff_id,
            data.client_id,
            roles=list(data.roles) if data.roles is not None else None,
            clearances=list(data.clearances) if data.clearances is not None else None,
            cert_number=data.cert_number,
            cert_valid_until=data.cert_valid_until,
        )
        return msgspec.convert(row, StaffOut)

    @post(
        "/staff/{staff_id:str}/deactivate",
        operation_id="deactivateStaff",
        opt={"access": "role:admin"},
        status_code=200,
    )
    async def deactivate(
        self, request: Request, staff_id: str, data: Deactivate, ledger: Ledger
    ) -> StaffOut:
        """Deactivate a colleague: their sessions end now and their passkeys stop working."""
        row = await deactivate_staff(
            ledger, principal_of(request), staff_id, data.reason, data.client_id
        )
        return msgspec.convert(row, StaffOut)


class CaseAccessController(Controller):
    path = "/cases/{case_id:str}"
    tags = ["identity"]

    @get("/members", operation_id="listCaseMembers", opt={"access": "case:read"})
    async def list_members(self, request: Request, case_id: str) -> list[MemberOut]:
        """Who is on the case, with their name, unit and 执法证号."""
        rows = await CaseMember.select().where(CaseMember.case_id == case_id)
        known = await directory.names_of(
            [r["staff_id"] for r in rows], principal_of(request).agency_id
        )
        out = []
        for r in rows:
            who = known.get(r["staff_id"], {})
            out.append(
                MemberOut(
                    r["staff_id"],
                    r["role"],
                    r["entry_hash"],
                    who.get("name", ""),
                    who.get("unit_id"),
                    who.get("cert_number"),
                )
            )
        return out

    @post("/members", operation_id="addCaseMember", opt={"access": "case:write"}, status_code=201)
    async def add_member(
        self, request: Request, case_id: str, data: MemberIn, ledger: Ledger
    ) -> EntryOut:
        """Assign a colleague to the case (handler or supervisor only)."""
        entry = await members.add_member(
            ledger, principal_of(request), case_id, data.staff_id, data.role, data.client_id
        )
        return entry_out(entry)

    @post(
        "/members/{staff_id:str}/remove",
        operation_id="removeCaseMember",
        opt={"access": "case:write"},
        status_code=201,
    )
    async def remove_member(
        self, request: Request, case_id: str, staff_id: str, data: MemberRemoval, ledger: Ledger
    ) -> EntryOut:
        """Take a colleague off the case, with a reason."""
        entry = await members.remove_member(
            ledger, principal_of(request), case_id, staff_id, data.reason, data.client_id
        )
        return entry_out(entry)

    @get("/signatures", operation_id="listCaseSignatures", opt={"access": "case:read"})
    async def list_signatures(
        self, request: Request, case_id: str, ledger: Ledger
    ) -> list[SignatureOut]:
        """The case's passkey signatures, each verified against the ledger's registered keys."""
        ip, agent = where_from(request)
        await log_access(ledger, principal_of(request), case_id, "signatures", None, ip, agent)
        rows = await signatures.case_signatures(ledger, case_id)
        return [msgspec.convert(r, SignatureOut) for r in rows]

    @post("/exports", operation_id="requestExport", opt={"access": "case:read"}, status_code=201)
    async def request_export(
        self, request: Request, case_id: str, data: ExportRequestIn, ledger: Ledger
    ) -> EntryOut:
        """Ask the unit head for permission to copy or export this case's records."""
        entry = await exports.request_export(
            ledger, principal_of(request), case_id, data.scope, data.purpose, data.client_id,
            data.recipient, data.items,
        )  # fmt: skip
        return entry_out(entry)

    @get("/exports/permission", operation_id="exportPermission", opt={"access": "case:read"})
    async def permission(
        self,
        request: Request,
        case_id: str,
        # `scope` is Litestar's reserved name for the ASGI scope, hence the alias.
        what: str = QueryParameter(name="scope", default="export", pattern="^(copy|export)$"),
    ) -> PermissionOut:
        """Whether the caller holds a live copy/export approval for this case."""
        entry = await exports.export_permission(case_id, principal_of(request).staff_id, what)
        if entry is None:
            return PermissionOut(False)
        p = entry.payload
        return PermissionOut(True, entry.hash, p["valid_until"], p.get("items"), p.get("recipient"))

    @post("/copies", operation_id="copyRecords", opt={"access": "case:read"}, status_code=201)
    async def copy(self, request: Request, case_id: str, data: CopyIn, ledger: Ledger) -> CopyOut:
        """Copy approved records for the approved recipient; each record copied is on the timeline.

        403 `approval_required`, `copy_approved_for_someone_else`, `copy_not_approved` (records the
        approval does not name), `copy_recipient_not_approved`."""
        me = principal_of(request)
        permission = await exports.copy_permission(case_id, me.staff_id, data.items, data.recipient)
        ip, agent = where_from(request)
        kinds = {e.hash: e.kind for e in await ledger.whole_timeline(case_id)}
        logged = None
        for item in dict.fromkeys(data.items):
            what = f"{kinds.get(item, 'entry')} {item}"
            logged = (
                await log_access(
                    ledger, me, case_id, "copy", what, ip, agent, permission=permission.hash
                )
                or logged
            )
        return CopyOut(
            permission.hash, permission.payload["valid_until"], logged.hash if logged else None
        )


class SignatureController(Controller):
    path = "/entries/{entry_hash:str}/signatures"
    tags = ["identity"]

    @post(
        "/options",
        operation_id="signatureOptions",
        opt={"access": "entry:read"},
        status_code=200,
    )
    async def options(
        self, entry_hash: str, data: SignOptionsIn, settings: Settings, ledger: Ledger
    ) -> dict[str, Any]:
        """Options for navigator.credentials.get() whose challenge is this entry's hash."""
        entry = await ledger.get(entry_hash)
        return await signatures.signing_options(settings, entry, data.meaning, data.signer)

    @get("/signers", operation_id="listCoSigners", opt={"access": "entry:read"})
    async def signers(
        self, entry_hash: str, ledger: Ledger, meaning: str = "co_sign"
    ) -> list[CoSignerOut]:
        """The case's members who may sign this entry with `meaning`, and who already did."""
        rows = await signatures.co_signers(await ledger.get(entry_hash), meaning)
        return [CoSignerOut(**r) for r in rows]

    @post(
        "/requests",
        operation_id="requestSignature",
        opt={"access": "entry:read"},
        status_code=201,
    )
    async def request_signature(
        self, request: Request, entry_hash: str, data: SignRequestIn, ledger: Ledger
    ) -> EntryOut:
        """Ask a colleague on the case to sign this entry on their own phone (listed and pushed)."""
        entry = await sign_requests.request_signature(
            ledger,
            principal_of(request),
            await ledger.get(entry_hash),
            data.signer,
            data.meaning,
            data.client_id,
        )
        return entry_out(entry)

    @post("/", operation_id="signEntry", opt={"access": "entry:read"}, status_code=201)
    async def sign(
        self, entry_hash: str, data: SignIn, settings: Settings, ledger: Ledger
    ) -> EntryOut:
        """Sign an entry with a passkey (approve, legal review, attest ...); the signer is the passkey's owner."""
        signed: Entry = await ledger.get(entry_hash)
        entry = await signatures.sign_entry(
            ledger,
            settings,
            signed,
            data.meaning,
            data.credential,
            data.client_id,
            data.comment,
            expected_signer=data.signer,
        )
        return entry_out(entry)


API_ROUTES = [
    SessionController,
    PasskeyController,
    StaffController,
    CaseAccessController,
    SignatureController,
]
