"""`casetrail import`: hand a recorder's files over to the server from the officer's computer.

The tool runs where the recorder is plugged in, not on the server, so it speaks HTTP: the same
tus upload path as the phone app, then the recording routes. It signs in with an import token
the officer creates in the app (staff sign in with passkeys only, which a terminal cannot do).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import mimetypes
import os
import platform
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from base64 import b64encode
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend.cli import command
from backend.settings import Settings

CHUNK = 4 * 1024 * 1024
RECORDING_NAMESPACE = uuid.UUID("2c5b1f0a-7a43-4c1e-9d7e-3f0a6b8c9d21")
EXTRA_TYPES = {".mp4": "video/mp4", ".mov": "video/quicktime", ".m4v": "video/mp4",
               ".webm": "video/webm", ".wav": "audio/wav", ".mp3": "audio/mpeg",
               ".m4a": "audio/mp4", ".ogg": "audio/ogg", ".avi": "video/x-msvideo",
               ".ts": "video/mp2t", ".mkv": "video/x-matroska"}  # fmt: skip


class ApiRefusal(Exception):
    """The server said no; `code` and `message` come from its JSON error."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.code = body.get("code", f"http_{status}")
        self.message = body.get("message", "")
        super().__init__(f"{self.code}: {self.message}")


class Server:
    """A few JSON and tus calls against a CaseTrail server with an import token."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url.rstrip("/")
        self.token = token

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(
            self.url + path,
            data=body,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as res:
                return res.status, dict(res.headers), res.read()
        except urllib.error.HTTPError as err:
            data = err.read()
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = {"message": data.decode(errors="replace")[:200]}
            raise ApiRefusal(err.code, parsed) from None

    def json(self, method: str, path: str, payload: Any = None) -> tuple[int, Any]:
        body = None if payload is None else json.dumps(payload).encode()
        status, _, data = self.call(method, path, body, {"Content-Type": "application/json"})
        return status, json.loads(data) if data else None

    def upload(self, path: Path, meta: dict[str, str], size: int) -> None:
        """tus creation, then PATCH from the server's offset (resumes an earlier attempt)."""
        header = ",".join(f"{k} {b64encode(v.encode()).decode()}" for k, v in meta.items())
        _, headers, _ = self.call(
            "POST",
            "/api/uploads",
            b"",
            {"Tus-Resumable": "1.0.0", "Upload-Length": str(size), "Upload-Metadata": header},
        )
        location = urllib.parse.urlparse(_header(headers, "Location")).path
        _, headers, _ = self.call("HEAD", location, None, {"Tus-Resumable": "1.0.0"})
        offset = int(_header(headers, "Upload-Offset") or 0)
        with path.open("rb") as f:
            f.seek(offset)
            while offset < size:
                chunk = f.read(CHUNK)
                _, headers, _ = self.call(
                    "PATCH",
                    location,
                    chunk,
                    {
                        "Tus-Resumable": "1.0.0",
                        "Upload-Offset": str(offset),
                        "Content-Type": "application/offset+octet-stream",
                    },
                )
                offset = int(_header(headers, "Upload-Offset") or offset + len(chunk))


def _header(headers: dict[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def recording_files(folder: Path) -> Iterator[Path]:
    """Every visible file under the folder, in name order (recorders number their files)."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(folder).parts):
            yield path


def media_type_of(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return EXTRA_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0]


def sha256_of(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _say(line: str) -> None:
    print(line, flush=True)


def import_folder(args: argparse.Namespace, server: Server) -> int:
    folder = Path(args.dir)
    if not folder.is_dir():
        print(f"error: {folder} is not a folder", file=sys.stderr)
        return 2
    _, me = server.json("GET", "/api/recordings/me")
    agency, officer = me["agency_id"], me["staff_id"]
    computer = args.computer or platform.node() or "unknown"
    files = []
    failures = 0
    for path in recording_files(folder):
        media_type = media_type_of(path)
        if not media_type or not media_type.startswith(("video/", "audio/")):
            _say(f"ERROR {path.name}: not a recording (type {media_type or 'unknown'}); skipped")
            failures += 1
            continue
        files.append((path, media_type, sha256_of(path)))
    if not files:
        _say("no recordings found")
        return 1 if failures else 0
    _, known = server.json("POST", "/api/recordings/check", {"sha256": [f[2] for f in files]})
    for path, media_type, sha in files:
        stat = path.stat()
        # The same officer handing in the same file from the same computer is one hand-over: a
        # rerun after a killed import resumes it (the server answers "imported"); another officer
        # or computer makes another id, and the server records a second hand-over.
        import_id = str(uuid.uuid5(RECORDING_NAMESPACE, f"{agency}\n{officer}\n{computer}\n{sha}"))
        body = {
            "client_id": import_id,
            "sha256": sha,
            "filename": path.name,
            "media_type": media_type,
            "size": stat.st_size,
            "device": args.device,
            "officer": args.officer,
            "computer": computer,
            "via": "cli",
            "file_modified_at": datetime.fromtimestamp(stat.st_mtime, UTC).isoformat(),
            "late_reason": args.late_reason,
            "late_reason_text": args.late_reason_text,
            "remote_area_return_at": args.remote_return,
        }
        try:
            if not known.get(sha, {}).get("imported"):
                meta = {
                    "sha256": sha,
                    "media_type": media_type,
                    "case_id": f"agency:{agency}",
                    "client_id": import_id,
                    "filename": path.name,
                }
                server.upload(path, meta, stat.st_size)
            _, answer = server.json("POST", "/api/recordings", body)
        except ApiRefusal as refusal:
            _say(f"ERROR {path.name}: {refusal.message} ({refusal.code})")
            failures += 1
            continue
        report(path.name, answer)
        if args.confirm and answer["status"] == "imported":
            failures += confirm(server, sha, answer)
    return 1 if failures else 0


def report(name: str, answer: dict[str, Any]) -> None:
    recording = answer["recording"]
    if answer["status"] == "duplicate":
        _say(
            f"DUPLICATE {name}: already imported at {recording['imported_at']} "
            f"as {recording['filename']} (entry {recording['entry_hash'][:12]}); not stored again"
        )
        return
    deadline = recording.get("deadline") or {}
    late = (
        f"; LATE by {deadline['late_by_h']} h (reason: {recording.get('late_reason') or 'none stated'})"
        if deadline.get("late")
        else ""
    )
    _say(
        f"IMPORTED {name}: {recording['started_at']} – {recording['ended_at']} "
        f"device {recording['device']['number'] or '?'} officer {recording['officer']}{late}"
    )
    seen = set()
    for p in answer["proposals"]:
        if p["case_id"] in seen:
            continue
        seen.add(p["case_id"])
        _say(
            f"  proposed: case {p['case_number'] or p['case_id']} «{p['case_title']}» step {p['kind']}"
        )
    if not answer["proposals"]:
        _say("  no matching case: on the unassigned list (patrol retention)")


def confirm(server: Server, sha: str, answer: dict[str, Any]) -> int:
    """Link the best proposal of each case (what the officer would confirm on screen)."""
    seen = set()
    for p in answer["proposals"]:
        if p["case_id"] in seen or p.get("linked"):
            continue
        seen.add(p["case_id"])
        body = {
            "case_id": p["case_id"],
            "for_entry": p["for_entry"],
            "client_id": str(uuid.uuid5(RECORDING_NAMESPACE, f"{sha}\n{p['case_id']}")),
        }
        try:
            server.json("POST", f"/api/recordings/{sha}/links", body)
        except ApiRefusal as refusal:
            if refusal.code != "already_linked":
                _say(f"ERROR linking to {p['case_id']}: {refusal.message} ({refusal.code})")
                return 1
        _say(f"  linked to case {p['case_number'] or p['case_id']}")
    return 0


@command("import")
def run_import(args: argparse.Namespace, settings: Settings) -> int:
    token = args.token or os.environ.get("CASETRAIL_IMPORT_TOKEN", "")
    if not token:
        print(
            "error: an import token is needed: create one in the app (导入令牌) and pass --token "
            "or set CASETRAIL_IMPORT_TOKEN",
            file=sys.stderr,
        )
        return 2
    server = Server(args.server or os.environ.get("CASETRAIL_SERVER") or settings.public_url, token)
    try:
        return import_folder(args, server)
    except ApiRefusal as refusal:
        print(f"error: {refusal.message} ({refusal.code})", file=sys.stderr)
        return 1
    except urllib.error.URLError as err:
        print(f"error: cannot reach {server.url}: {err.reason}", file=sys.stderr)
        return 1


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "import", help="import a body-worn recorder's or fixed camera's files into CaseTrail"
    )
    p.add_argument("dir", help="folder holding the recorder's files (searched recursively)")
    p.add_argument("--device", required=True, help="recorder or camera number (device registry)")
    p.add_argument("--officer", help="staff id whose recordings these are (default: the token's)")
    p.add_argument("--server", help="CaseTrail URL (default: CASETRAIL_SERVER or public URL)")
    p.add_argument("--token", help="import token from the app (or CASETRAIL_IMPORT_TOKEN)")
    p.add_argument("--computer", help="name of this computer for the custody record")
    p.add_argument("--confirm", action="store_true", help="link each file to its proposed cases")
    p.add_argument(
        "--late-reason",
        choices=["remote_area", "continuous_duty", "device_fault", "other"],
        help="why the files come after the deadline",
    )
    p.add_argument("--late-reason-text", help="the reason in words")
    p.add_argument("--remote-return", help="ISO time of return from a remote area")
