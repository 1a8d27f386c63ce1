"""Verifiable export bundles: one case's entries, blobs, checkpoint, signed case head and proofs.

Everything `casetrail verify` needs is inside; no server and no database are required. What is
inside is not trusted by itself: a bundle verifies only against a key the reader trusts (their
`--vkey`, a pinned key file), since anyone can make a consistent bundle with a key of their own.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from backend.errors import NotFound
from backend.ledger.checkpoint import CheckpointError, key_fingerprint, parse_vkey, verify_note
from backend.ledger.cosignature import cosigners, split_note
from backend.ledger.digests import Sm3Stream, blob_sm3, sm3_hex
from backend.ledger.ledger import Ledger
from backend.ledger.statements import CaseHead, read_case_head, sign_case_head
from backend.ledger.tables import LedgerEntry
from backend.ledger.timestamp import TimestampError, verify_timestamp
from backend.ledger.verify import (
    ROW_COLUMNS,
    Problem,
    Report,
    check_blobs,
    check_claims,
    check_entries,
    check_inclusion,
)
from backend.ledger.witnessing import cosigned_notes, merge_cosignatures

FORMAT = "casetrail-bundle/2"
_HEX = frozenset("0123456789abcdef")


async def export_case(
    ledger: Ledger,
    blobs: Any,
    case_id: str,
    out: Path,
    held: Collection[str],
    key_rows: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """Write `out` (zip) for `case_id` with the blobs in `held`; returns the manifest.

    `held` is what the case holds (`evidence.holdings.blobs_held`): a hash an entry names without
    the case holding it is listed under `withheld`, and its bytes stay out of the bundle.
    `key_rows` are other timelines' entries its signatures need (`identity.signatures.key_rows_for`),
    carried with their own inclusion proofs in `keys.jsonl`.
    """
    rows = await LedgerEntry.raw(
        f"SELECT {ROW_COLUMNS} FROM ledger_entry WHERE case_id = {{}} ORDER BY seq", case_id
    )
    if not rows:
        raise NotFound("no such case", code="case_not_found")
    # Signed now, so the bundle's checkpoint covers the whole log as it is at export time.
    checkpoint = await ledger.checkpoint()
    tree = await ledger.sync_tree()
    proofs = [
        {
            "entry_hash": r["hash"],
            "log_index": r["log_index"],
            "tree_size": checkpoint.size,
            "proof": [p.hex() for p in await tree.inclusion_proof(r["log_index"], checkpoint.size)],
            "checkpoint": checkpoint.note,
        }
        for r in [*rows, *key_rows]
    ]
    named = {sha for r in rows for sha in json.loads(r["body"]).get("blobs", [])}
    shas = sorted(named & set(held))
    withheld = sorted(named - set(held))
    # SM3 beside SHA-256 (GB/T 32905) for every entry and exported blob; blobs from the job's
    # cache when it got there first.
    sm3 = {
        "entries": {r["hash"]: sm3_hex(r["body"].encode()) for r in rows},
        "blobs": {},
    }
    for sha in shas:
        value = await blob_sm3(blobs, sha)
        if value:
            sm3["blobs"][sha] = value
    sm3_text = json.dumps(sm3, indent=1, sort_keys=True).encode()
    head = sign_case_head(
        ledger.signer,
        case_id,
        len(rows),
        rows[-1]["hash"],
        checkpoint.size,
        withheld,
        sm3_hex(sm3_text),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT,
        "case_id": case_id,
        "entries": len(rows),
        "blobs": shas,
        "withheld": withheld,
        "checkpoint_size": checkpoint.size,
        "vkey": ledger.signer.vkey,
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        zf.writestr(
            "entries.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        )
        zf.writestr("proofs.jsonl", "".join(json.dumps(p) + "\n" for p in proofs))
        zf.writestr(
            "keys.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in key_rows)
        )
        # With the witnesses' cosignature lines: an anchor outside this server's keys.
        kept = [r["note"] for r in await cosigned_notes(checkpoint.size)]
        token = (await ledger.timestamp_tokens()).get(checkpoint.size)
        if token:  # the TSA's word that this checkpoint existed then
            zf.writestr("timestamp.tsr", token)
        zf.writestr("checkpoint.txt", merge_cosignatures(checkpoint.note, kept))
        zf.writestr("head.txt", head)
        zf.writestr("sm3.json", sm3_text)
        zf.writestr("vkey.txt", ledger.signer.vkey + "\n")
        for sha in shas:
            if not await blobs.exists(sha):
                continue  # disposed after retention; the tombstone entry says so
            with zf.open(f"blobs/{sha}", "w", force_zip64=True) as target:
                async for chunk in blobs.open(sha):
                    target.write(chunk)
    return manifest


class _ZipBlobs:
    """Reads blobs back out of a bundle for `check_blobs`."""

    def __init__(self, zf: zipfile.ZipFile) -> None:
        self.zf = zf
        self.names = set(zf.namelist())

    async def exists(self, sha: str) -> bool:
        return f"blobs/{sha}" in self.names

    async def open(self, sha: str) -> AsyncIterator[bytes]:
        with self.zf.open(f"blobs/{sha}") as source:
            while chunk := source.read(1 << 20):
                yield chunk


SignatureCheck = Callable[[list[dict[str, Any]], list[dict[str, Any]]], list[Problem]]


async def verify_bundle(
    path: Path,
    trusted_vkeys: Sequence[str] = (),
    witnesses: Sequence[str] = (),
    quorum: int = 1,
    check_signatures: SignatureCheck | None = None,
    tsa_chain: bytes | None = None,
) -> Report:
    """Check a bundle offline, reporting every problem by name and never raising.

    Trust comes from the reader: a log key they trust, or `quorum` of the witness keys they
    trust cosigning the bundle's checkpoint. Without either the bundle is still checked against
    the key it carries (so a person learns what is wrong with it), but the report says it is
    not verified and names that key.
    """
    report = Report()
    try:
        with zipfile.ZipFile(path) as zf:
            trusted = [k.strip() for k in trusted_vkeys if k.strip()]
            await _verify_open(zf, trusted, list(witnesses), quorum, report, check_signatures)
            _check_timestamp(zf, tsa_chain, report)
    except Exception as unreadable:  # a file a person hands us may be anything at all
        report.problems.append(Problem(f"bundle {Path(path).name}", f"unreadable: {unreadable}"))
    return report


def _member(zf: zipfile.ZipFile, name: str, report: Report) -> bytes | None:
    try:
        return zf.read(name)
    except KeyError:
        report.problems.append(Problem(name, "missing from the bundle"))
    except Exception as corrupt:  # CRC mismatch, bad deflate stream, truncated member...
        report.problems.append(Problem(name, f"corrupt: {corrupt}"))
    return None


def _text(zf: zipfile.ZipFile, name: str, report: Report) -> str | None:
    data = _member(zf, name, report)
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        report.problems.append(Problem(name, "is not UTF-8 text"))
        return None


def _json_lines(zf: zipfile.ZipFile, name: str, report: Report, fits: Any) -> list[dict]:
    found = []
    for number, line in enumerate((_text(zf, name, report) or "").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            item = None
        if not fits(item):
            report.problems.append(Problem(f"{name} line {number}", "is not a well-formed record"))
            continue
        found.append(item)
    return found


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def _is_row(row: Any) -> bool:
    return (
        isinstance(row, dict)
        and _is_int(row.get("log_index"))
        and _is_int(row.get("seq"))
        and _is_hash(row.get("hash"))
        and all(isinstance(row.get(k), str) for k in ("case_id", "kind", "client_id", "body"))
        and (row.get("prev_hash") is None or isinstance(row.get("prev_hash"), str))
    )


def _is_proof(proof: Any) -> bool:
    return (
        isinstance(proof, dict)
        and isinstance(proof.get("entry_hash"), str)
        and isinstance(proof.get("checkpoint"), str)
        and isinstance(proof.get("proof"), list)
        and all(_is_hash(p) for p in proof["proof"])
    )


def _choose_key(carried: str, trusted: list[str], report: Report) -> str:
    """The key to verify with: a trusted one if the reader has any, else the carried one."""
    if not trusted:
        report.untrusted_key = carried or "(none)"
        return carried
    if carried in trusted:
        return carried
    try:
        name = parse_vkey(carried)[0]
    except CheckpointError:
        name = ""
    for key in trusted:
        try:
            if parse_vkey(key)[0] == name:
                return key  # the same log under a key the reader trusts: signatures decide
        except CheckpointError:
            continue
    report.problems.append(
        Problem("vkey.txt", "the bundle is signed by a key the reader does not trust")
    )
    return trusted[0]


async def _verify_open(
    zf: zipfile.ZipFile,
    trusted: list[str],
    witnesses: list[str],
    quorum: int,
    report: Report,
    check_signatures: SignatureCheck | None = None,
) -> None:
    manifest: Any = None
    text = _text(zf, "manifest.json", report)
    if text is not None:
        try:
            manifest = json.loads(text)
        except ValueError:
            report.problems.append(Problem("manifest.json", "is not JSON"))
    if not isinstance(manifest, dict):
        if text is not None and manifest is not None:
            report.problems.append(Problem("manifest.json", "is not a JSON object"))
        manifest = {}
    carried = (_text(zf, "vkey.txt", report) or "").strip() or str(manifest.get("vkey", ""))
    vkey = _choose_key(carried, trusted, report)

    rows = _json_lines(zf, "entries.jsonl", report, _is_row)
    proofs = {p["entry_hash"]: p for p in _json_lines(zf, "proofs.jsonl", report, _is_proof)}
    parsed = check_entries(rows, report)
    check_claims(parsed, report)
    verified = check_inclusion(rows, proofs, vkey, report)
    # The passkey registrations its signatures need: each must hash right and be in the log.
    key_rows = (
        _json_lines(zf, "keys.jsonl", report, _is_row) if "keys.jsonl" in zf.namelist() else []
    )
    keys_report = Report()  # not counted as the case's entries, but their problems are reported
    check_entries(key_rows, keys_report, chains=False)
    report.problems += keys_report.problems
    verified |= check_inclusion(key_rows, proofs, vkey, report)
    if check_signatures is not None:
        good_keys = [
            r for r in key_rows if hashlib.sha256(r["body"].encode()).hexdigest() == r["hash"]
        ]
        report.problems += check_signatures(rows, good_keys)
    checkpoint = None
    note = _text(zf, "checkpoint.txt", report)
    if note is not None:
        try:
            checkpoint = verify_note(note, vkey)
            verified.add(checkpoint.note)
        except CheckpointError as exc:
            report.problems.append(Problem("checkpoint.txt", f"does not verify: {exc}"))
    report.checkpoints = len(verified)
    if witnesses:
        _check_cosigned(note or "", rows, proofs, witnesses, quorum, report)

    case_id = manifest.get("case_id")
    others = sorted({r["case_id"] for r in rows if r["case_id"] != case_id})
    if others:
        report.problems.append(
            Problem(
                "manifest.json", f"names case {case_id} but its entries are of case {others[0]}"
            )
        )
    if manifest.get("entries") != len(rows):
        report.problems.append(
            Problem(
                "manifest.json",
                f"says {manifest.get('entries')} entries but the bundle holds {len(rows)}",
            )
        )
    withheld = manifest.get("withheld") or []
    if not isinstance(withheld, list) or not all(isinstance(w, str) for w in withheld):
        report.problems.append(Problem("manifest.json", "withheld is not a list of hashes"))
        withheld = []
    head = _check_head(zf, vkey, rows, case_id, withheld, checkpoint, report)
    await _check_sm3(zf, rows, head, report)
    # Named but not held by the case: never exported, so not missing (the entries still verify).
    blobs = _ZipBlobs(zf)
    await check_blobs(parsed, blobs.open, blobs.exists, report, skip=set(withheld))


def _check_timestamp(zf: zipfile.ZipFile, chain: bytes | None, report: Report) -> None:
    if "timestamp.tsr" not in zf.namelist():
        if chain is not None:
            report.warnings.append("the bundle's checkpoint carries no time-stamp")
        return
    if chain is None:
        report.warnings.append("time-stamp not checked: give the TSA's certificate chain")
        return
    token = _member(zf, "timestamp.tsr", report)
    merged = _text(zf, "checkpoint.txt", report)
    if token is None or merged is None:
        return
    try:
        text, lines = split_note(merged)
        # The token covers the log's own note: its text and first signature line.
        verify_timestamp(token, f"{text}\n{lines[0]}\n".encode(), chain)
    except (CheckpointError, TimestampError, IndexError) as bad:
        report.problems.append(Problem("timestamp.tsr", f"does not verify: {bad}"))
        return
    report.timestamps += 1


def _check_cosigned(
    note: str,
    rows: list[dict[str, Any]],
    proofs: dict[str, dict[str, Any]],
    witnesses: list[str],
    quorum: int,
    report: Report,
) -> None:
    """The bundle's checkpoint must be cosigned by `quorum` trusted witnesses, and every proof
    must lead to that very checkpoint: then the entries are in the log the witnesses saw."""
    found = cosigners(note, witnesses) if note else []
    if len(found) < quorum:
        report.problems.append(
            Problem(
                "checkpoint.txt",
                f"cosigned by {len(found)} of the trusted witnesses; {quorum} needed",
            )
        )
        return
    body = split_note(note)[0]
    for row in rows:
        proof = proofs.get(row["hash"])
        if proof is None or not proof["checkpoint"].startswith(body):
            report.problems.append(
                Problem(
                    f"entry {row['hash']} (case {row['case_id']} seq {row['seq']})",
                    "its proof is not against the witnessed checkpoint",
                    row["log_index"],
                )
            )
    if report.untrusted_key:
        # The witnesses vouch for the tree, so for every entry shown; the case's length is
        # vouched for by the log key the bundle carries, which no reader's key confirms.
        report.warnings.append(
            "the entries are in the log the witnesses cosigned; that no entry was dropped is "
            f"signed only by the bundle's own key (fingerprint {key_fingerprint(report.untrusted_key)})"
        )
        report.untrusted_key = ""


def _check_head(
    zf: zipfile.ZipFile,
    vkey: str,
    rows: list[dict[str, Any]],
    case_id: Any,
    withheld: list[str],
    checkpoint: Any,
    report: Report,
) -> CaseHead | None:
    """The signed case head proves the case's length, its last entry and what was withheld."""
    note = _text(zf, "head.txt", report)
    if note is None:
        return None
    try:
        head = read_case_head(note, vkey)
    except CheckpointError as exc:
        report.problems.append(Problem("head.txt", f"does not verify: {exc}"))
        return None
    where = f"case {head.case_id}"
    if head.case_id != case_id:
        report.problems.append(
            Problem("manifest.json", f"names case {case_id}; the signed head is of {where}")
        )
    ours = sorted((r for r in rows if r["case_id"] == head.case_id), key=lambda r: r["seq"])
    if len(ours) < head.entries:
        report.problems.append(
            Problem(
                where,
                f"the signed head counts {head.entries} entries but the bundle holds "
                f"{len(ours)}: entries were dropped",
            )
        )
    elif len(ours) > head.entries:
        report.problems.append(
            Problem(where, f"the signed head counts {head.entries} entries, the bundle {len(ours)}")
        )
    elif ours and ours[-1]["hash"] != head.last_hash:
        report.problems.append(
            Problem(where, f"the last entry is not the signed head {head.last_hash}")
        )
    if sorted(withheld) != head.withheld:
        report.problems.append(
            Problem("manifest.json", "its withheld list differs from the signed head's")
        )
    if checkpoint is not None and checkpoint.size != head.tree_size:
        report.problems.append(
            Problem(
                "head.txt", f"names tree size {head.tree_size}, the checkpoint {checkpoint.size}"
            )
        )
    return head


async def _check_sm3(
    zf: zipfile.ZipFile, rows: list[dict[str, Any]], head: CaseHead | None, report: Report
) -> None:
    """The SM3 digests match the entries and blobs, and are the ones the signed head names."""
    data = _member(zf, "sm3.json", report)
    if data is None:
        return
    if head is not None and sm3_hex(data) != head.sm3_digests:
        report.problems.append(
            Problem("sm3.json", "differs from the digests the signed head names")
        )
    try:
        digests = json.loads(data)
        entries, blobs = dict(digests["entries"]), dict(digests["blobs"])
    except (ValueError, KeyError, TypeError):
        report.problems.append(Problem("sm3.json", "is not a map of entry and blob digests"))
        return
    for row in rows:
        if entries.get(row["hash"]) != sm3_hex(row["body"].encode()):
            report.problems.append(
                Problem(
                    f"entry {row['hash']} (case {row['case_id']} seq {row['seq']})",
                    "SM3 digest missing or different",
                    row["log_index"],
                )
            )
    names = set(zf.namelist())
    for sha, expected in sorted(blobs.items()):
        if f"blobs/{sha}" not in names:
            continue  # a missing blob is reported by the SHA-256 check
        digest = Sm3Stream()
        try:
            async for chunk in _ZipBlobs(zf).open(sha):
                digest.update(chunk)
        except Exception as unreadable:
            report.problems.append(Problem(f"blob {sha}", f"unreadable: {unreadable}"))
            continue
        if digest.hexdigest() != expected:
            report.problems.append(Problem(f"blob {sha}", "SM3 digest differs"))
    for sha in sorted(n.removeprefix("blobs/") for n in names if n.startswith("blobs/")):
        if sha not in blobs:
            report.problems.append(Problem(f"blob {sha}", "no SM3 digest in sm3.json"))


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
