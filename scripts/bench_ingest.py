#!/usr/bin/env python3
"""Ingest benchmark: a 200 MB video and 300 photos through the real tus API vs. the disk's ceiling.

Prints figures; never a test. It starts `casetrail serve` (uvicorn) in a subprocess on loopback
with a temporary data directory, invites an officer with `casetrail invite`, signs in through the
passkey API with the software authenticator from identity's tests and opens a case. Then, in each
of several rounds, it generates media of the round's own (noise JPEGs of 2–5 MB with EXIF written
by Pillow, and a real H.264 mp4 of ~200 MB written by PyAV), measures the ceiling on them (Python
reading the files, hashing them with SHA-256 and writing them to disk with fsync), and
tus-uploads every file in 8 MB chunks (the first with the creating request) and finalises it.
The disk of a shared machine varies by a fifth from one minute to the next, so the ceiling and
the ingest are measured in pairs and the median of the rounds' ratios is reported. Then three
one-colour 7700×7700 PNGs (a few hundred KB each, a quarter of a gigabyte each once decoded) are
uploaded and their first thumbnails asked for at once; the server's resident set is sampled
meanwhile and its peak over the idle figure before is reported. Last line:

RESULT ingest_vs_ceiling=<median ratio> peak_rss_mb=<MB> exif_check_ms=<ms per photo>
       thumb_peak_rss_delta_mb=<MB>
       exif_c2pa_ms=<ms per photo: EXIF read and check + Content Credentials look, no manifest>

Usage: .venv/bin/python scripts/bench_ingest.py [--quick] [--clients N] [--rounds N] [--keep]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.util
import io
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import av  # noqa: E402
import httpx  # noqa: E402
from PIL import Image  # noqa: E402

from backend.evidence.content_credentials import read_credentials  # noqa: E402
from backend.evidence.exif_check import DeviceClaims, Tolerances, check_exif  # noqa: E402

AGENCY = "hebei-hrss"
CHUNK = 8 << 20
LAT, LON = 38.0428, 114.5149
CASETRAIL = str(ROOT / ".venv" / "bin" / "casetrail")


def load_soft_authenticator() -> type:
    path = ROOT / "tests" / "unit" / "identity" / "soft_authenticator.py"
    spec = importlib.util.spec_from_file_location("soft_authenticator", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while building the class
    spec.loader.exec_module(module)
    return module.SoftAuthenticator


@dataclass
class Media:
    path: Path
    sha256: str
    media_type: str
    kind: str


# -- generating the media ------------------------------------------------------------------------


def _exif(i: int, taken: datetime) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Huawei"  # Make
    exif[0x0110] = "ELS-AN00"  # Model
    ifd = exif.get_ifd(0x8769)  # Exif IFD
    ifd[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
    ifd[0x9011] = "+00:00"  # OffsetTimeOriginal
    ifd[0xA420] = uuid.uuid4().hex  # ImageUniqueID: every photo is a different blob
    gps = exif.get_ifd(0x8825)
    gps[1], gps[3] = "N", "E"
    gps[2] = _dms(LAT)
    gps[4] = _dms(LON)
    gps[7] = (float(taken.hour), float(taken.minute), float(taken.second))
    gps[29] = taken.strftime("%Y:%m:%d")
    return exif


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return (float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4))


def _with_exif(jpeg: bytes, exif: bytes) -> bytes:
    """Put Pillow's EXIF block (APP1) right after SOI, where Pillow itself writes it."""
    segment = exif  # Pillow's tobytes() starts with the "Exif\\0\\0" header
    return jpeg[:2] + b"\xff\xe1" + (len(segment) + 2).to_bytes(2, "big") + segment + jpeg[2:]


def make_photos(folder: Path, count: int, taken: datetime) -> list[Media]:
    """Noise JPEGs of 2–5 MB. Encoding 300 of them would take minutes, so a few noise bases are
    encoded once and every photo gets its own EXIF block (own ImageUniqueID, so its own hash)."""
    rng = random.Random(7)
    bases = []
    for side in (1400, 1600, 1800, 2000, 2200):
        w, h = side, side * 3 // 4
        im = Image.frombytes("RGB", (w, h), rng.randbytes(w * h * 3))
        out = io.BytesIO()
        im.save(out, "JPEG", quality=95)
        bases.append(out.getvalue())
    bases = [b for b in bases if 2_000_000 <= len(b) <= 5_000_000] or bases
    photos = []
    for i in range(count):
        data = _with_exif(bases[i % len(bases)], _exif(i, taken).tobytes())
        path = folder / f"IMG_{i:04d}.jpg"
        path.write_bytes(data)
        photos.append(Media(path, hashlib.sha256(data).hexdigest(), "image/jpeg", "media.photo"))
    return photos


def make_video(path: Path, target_bytes: int) -> Media:
    """A real mp4 (H.264, lossless, intra-only) of noise frames until it reaches `target_bytes`."""
    rng = random.Random(11)
    width, height = 640, 360
    frames = []
    for _ in range(12):
        frame = av.VideoFrame(width, height, "yuv420p")
        for plane in frame.planes:
            plane.update(rng.randbytes(plane.buffer_size))
        frames.append(frame)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "qp": "0", "g": "1"}
        n = 0
        written = 0
        while written < target_bytes:
            frame = frames[n % len(frames)]
            frame.pts = n
            for packet in stream.encode(frame):
                written += packet.size
                container.mux(packet)
            n += 1
        for packet in stream.encode():
            container.mux(packet)
    return Media(path, _sha256(path), "video/mp4", "media.video")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# -- the ceiling ---------------------------------------------------------------------------------


def ceiling(files: list[Media], out: Path) -> float:
    """Seconds for Python to read, SHA-256 and write+fsync every file, one after another."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for media in files:
        digest = hashlib.sha256()
        target = out / media.path.name
        with media.path.open("rb") as src, target.open("wb") as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
            dst.flush()
            os.fsync(dst.fileno())
        assert digest.hexdigest() == media.sha256
    return time.perf_counter() - started


# -- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.port = port
        self.url = f"http://localhost:{port}"
        self.env = {
            **os.environ,
            "CASETRAIL_DATA_DIR": str(data_dir),
            "CASETRAIL_PUBLIC_URL": self.url,
        }
        self.log = (data_dir.parent / "server.log").open("w")
        self.proc: subprocess.Popen | None = None

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [CASETRAIL, *args], env=self.env, capture_output=True, text=True, cwd=ROOT
        )
        if done.returncode:
            raise SystemExit(f"casetrail {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [CASETRAIL, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("the server exited; see server.log")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/api/time").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("the server did not start within 60 s")

    def status(self, field: str) -> int:
        """A /proc/<pid>/status figure in kB (VmHWM is the peak resident set)."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise KeyError(field)

    def cpu_s(self) -> float:
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait_idle(self, quiet_s: float = 1.0, timeout: float = 300) -> float:
        """Wait until the server stops using CPU (background derivatives done); seconds waited."""
        started = time.perf_counter()
        last = self.cpu_s()
        while time.perf_counter() - started < timeout:
            time.sleep(quiet_s)
            now = self.cpu_s()
            if now - last < 0.05 * quiet_s:
                return time.perf_counter() - started - quiet_s
            last = now
        return time.perf_counter() - started

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


# -- the officer ---------------------------------------------------------------------------------


def sign_in(server: Server) -> tuple[httpx.Cookies, dict[str, str]]:
    """Invite with the CLI, register a passkey and sign in through the API."""
    link = server.cli("invite", "--agency", AGENCY, "--role", "officer", "--name", "测试执法员")
    token = urlparse(link.strip().split()[-1]).fragment.removeprefix("invite=")
    device = load_soft_authenticator()(origin=server.url, rp_id="localhost")
    with httpx.Client(base_url=server.url, timeout=60) as c:
        carried = {"x-invite-token": token}
        info = c.get("/api/invite", headers=carried)
        info.raise_for_status()
        credential = device.register(info.json()["options"])
        made = c.post(
            "/api/invite/passkey",
            json={"credential": credential, "label": "bench"},
            headers=carried,
        )
        assert made.status_code == 201, made.text
        c.cookies.clear()
        options = c.post("/api/session/options").json()
        answer = c.post(
            "/api/session",
            json={"credential": device.assert_(options, credential_id=credential["id"])},
        )
        assert answer.status_code == 200, answer.text
        return httpx.Cookies(c.cookies), {"x-csrftoken": c.cookies["csrftoken"]}


def open_case(c: httpx.Client, headers: dict[str, str]) -> str:
    r = c.post(
        "/api/cases",
        headers=headers,
        json={
            "client_id": str(uuid.uuid4()),
            "title": "欠薪投诉现场检查（基准测试）",
            "enforcement_kind": "inspection",
            "procedure": "general",
            "start_path": "complaint",
            "parties": [
                {
                    "name": "某建筑公司",
                    "kind": "organisation",
                    "id_number": "—",
                    "phone": "—",
                    "address": "—",
                }
            ],  # fmt: skip
            "officers": [],
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["case_id"]


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


class Phases:
    """Seconds spent waiting on each kind of request, summed over clients (thread-safe)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.lock = threading.Lock()

    def add(self, name: str, seconds: float) -> None:
        with self.lock:
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def per_file_ms(self, n: int) -> str:
        return ", ".join(f"{k} {v * 1000 / n:.1f}" for k, v in self.seconds.items())


def upload(
    c: httpx.Client, headers: dict[str, str], case_id: str, media: Media, phases: Phases
) -> None:
    client_id = str(uuid.uuid4())
    meta = {
        "sha256": media.sha256,
        "media_type": media.media_type,
        "case_id": case_id,
        "client_id": client_id,
        "filename": media.path.name,
    }
    size = media.path.stat().st_size
    tus = {**headers, "Tus-Resumable": "1.0.0"}
    with media.path.open("rb") as f:
        # creation-with-upload: the first chunk (a whole photo) rides on the creating request
        chunk = f.read(CHUNK)
        t = time.perf_counter()
        created = c.post(
            "/api/uploads",
            content=chunk,
            headers={
                **tus,
                "Upload-Length": str(size),
                "Upload-Metadata": ",".join(f"{k} {b64(v)}" for k, v in meta.items()),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        assert created.status_code == 201, created.text
        phases.add("create", time.perf_counter() - t)
        location = created.headers["location"]
        offset = int(created.headers["upload-offset"])
        while chunk := f.read(CHUNK):
            t = time.perf_counter()
            r = c.patch(
                location,
                content=chunk,
                headers={
                    **tus,
                    "Upload-Offset": str(offset),
                    "Content-Type": "application/offset+octet-stream",
                },
            )
            assert r.status_code == 204, r.text
            phases.add("patch", time.perf_counter() - t)
            offset = int(r.headers["upload-offset"])
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    t = time.perf_counter()
    done = c.post(
        f"/api/cases/{case_id}/media",
        headers=headers,
        json={
            "client_id": client_id,
            "sha256": media.sha256,
            "kind": media.kind,
            "media_type": media.media_type,
            "claimed": {"time": now, "clock_offset_ms": 0,
                        "geo": {"lat": LAT, "lon": LON, "accuracy_m": 8.0, "fix_time": now}},
            "device": None,
            "payload": {},
        },
    )  # fmt: skip
    assert done.status_code == 201, done.text
    phases.add("finalise", time.perf_counter() - t)


def upload_all(
    server: Server, cookies: httpx.Cookies, headers: dict, case_id: str, files: list[Media],
    clients: int,
) -> float:  # fmt: skip
    """Seconds to upload `files`; prints the mean wait per request kind and the server's CPU."""
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "c"):
            local.c = httpx.Client(base_url=server.url, cookies=cookies, timeout=300)
        return local.c

    phases = Phases()
    cpu, own = server.cpu_s(), time.process_time()
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda m: upload(client(), headers, case_id, m, phases), files))
    elapsed = time.perf_counter() - started
    print(f"  per file, ms waited: {phases.per_file_ms(len(files))}; CPU: server "
          f"{(server.cpu_s() - cpu) * 1000 / len(files):.1f} ms, client "
          f"{(time.process_time() - own) * 1000 / len(files):.1f} ms")  # fmt: skip
    return elapsed


# -- thumbnails of images huge in memory --------------------------------------------------------


def make_flat_pngs(folder: Path, count: int = 3, side: int = 7700) -> list[Media]:
    """One-colour PNGs just under the pixel cap: tiny files, 237 MB each decoded."""
    pngs = []
    for i in range(count):
        path = folder / f"FLAT_{i}.png"
        Image.new("RGB", (side, side), (40 + 60 * i, 90, 160)).save(path, optimize=True)
        pngs.append(Media(path, _sha256(path), "image/png", "media.photo"))
    return pngs


def thumb_peak_rss_delta_mb(
    server: Server, cookies: httpx.Cookies, headers: dict, case_id: str, pngs: list[Media]
) -> float:
    """Peak resident set over idle (MB) while the PNGs' first thumbnails are asked for at once.

    Sampled from /proc every few milliseconds (a decode holds its memory for a second or more),
    so the process's own peak figure, reported as peak_rss_mb, is left as the ingest made it.
    """
    with httpx.Client(base_url=server.url, cookies=cookies, timeout=300) as c:
        for png in pngs:
            upload(c, headers, case_id, png, Phases())
    server.wait_idle()
    idle = server.status("VmRSS")
    peak = idle
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, server.status("VmRSS"))
            time.sleep(0.003)

    def thumbnail(png: Media) -> int:
        with httpx.Client(base_url=server.url, cookies=cookies, timeout=300) as c:
            return c.get(f"/api/blobs/{png.sha256}", params={"variant": "thumbnail"}).status_code

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(len(pngs)) as pool:
            statuses = list(pool.map(thumbnail, pngs))
    finally:
        done.set()
        sampler.join()
    print(f"  {len(pngs)} first thumbnails of {pngs[0].path.stat().st_size / 1e3:.0f} KB "
          f"7700×7700 PNGs at once: {statuses}, {time.perf_counter() - started:.1f} s; "
          f"RSS idle {idle / 1024:.0f} MB, peak {peak / 1024:.0f} MB")  # fmt: skip
    return (peak - idle) / 1024


# -- EXIF ----------------------------------------------------------------------------------------


def exif_ms(photos: list[Media], taken: datetime, c2pa: bool = False) -> float:
    """Per photo: the EXIF check, and with `c2pa` the Content Credentials read too (the target is
    10 ms together for a photo with no manifest, which is every photo generated here)."""
    claims = DeviceClaims(
        captured_at=taken, clock_offset_ms=0, lat=LAT, lon=LON, accuracy_m=8.0,
        fix_time=taken, device_id=None,
    )  # fmt: skip
    now = datetime.now(UTC)
    for p in photos[:3]:  # warm the imports and the page cache
        check_exif(p.path, claims, None, now, Tolerances())
    started = time.perf_counter()
    for p in photos:
        findings = check_exif(p.path, claims, None, now, Tolerances())
        assert findings[0].code == "consistent", findings
        if c2pa:
            assert read_credentials(p.path, "image/jpeg") is None
    return (time.perf_counter() - started) * 1000 / len(photos)


# -- main ----------------------------------------------------------------------------------------


def fresh_video(first: Media, path: Path, n: int) -> Media:
    """The round's own copy of the video: a trailing `free` box makes it a different blob."""
    with first.path.open("rb") as src, path.open("wb") as dst:
        shutil.copyfileobj(src, dst, CHUNK)
        dst.write((16).to_bytes(4, "big") + b"free" + n.to_bytes(8, "big"))
    return Media(path, _sha256(path), "video/mp4", "media.video")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="20 MB video and 20 photos, one round")
    p.add_argument("--clients", type=int, default=2, help="concurrent upload connections")
    p.add_argument("--rounds", type=int, default=3, help="paired ceiling/ingest measurements")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args()
    video_mb, n_photos = (20, 20) if args.quick else (200, 300)
    rounds = 1 if args.quick else args.rounds

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    server = Server(work / "data", free_port())
    try:
        server.cli("init")
        server.start()
        cookies, headers = sign_in(server)
        with httpx.Client(base_url=server.url, cookies=cookies, timeout=60) as c:
            case_id = open_case(c, headers)
        print(f"server peak RSS after sign-in: {server.status('VmHWM') / 1024:.0f} MB")
        taken = datetime.now(UTC).replace(microsecond=0)
        first_video: Media | None = None
        ratios: list[float] = []
        for n in range(rounds):
            # Every round has media of its own: new bytes, so nothing is deduplicated.
            t = time.perf_counter()
            media_dir = work / f"media-{n}"
            media_dir.mkdir()
            photos = make_photos(media_dir, n_photos, taken)
            if first_video is None:
                first_video = video = make_video(media_dir / "VID_0001.mp4", video_mb << 20)
                shutil.copy(first_video.path, work / "video.mp4")
                first_video = Media(work / "video.mp4", video.sha256, video.media_type, video.kind)
            else:
                video = fresh_video(first_video, media_dir / "VID_0001.mp4", n)
            photo_bytes = sum(m.path.stat().st_size for m in photos)
            video_bytes = video.path.stat().st_size
            total = photo_bytes + video_bytes
            print(f"round {n + 1}: {n_photos} photos ({photo_bytes / 1e6:.0f} MB, "
                  f"{min(m.path.stat().st_size for m in photos) / 1e6:.1f}–"
                  f"{max(m.path.stat().st_size for m in photos) / 1e6:.1f} MB each) and a "
                  f"{video_bytes / 1e6:.0f} MB mp4, made in {time.perf_counter() - t:.1f} s")  # fmt: skip

            os.sync()  # each measured phase starts on a settled disk, not behind the setup's writes
            ceiling_s = ceiling([*photos, video], work / "ceiling")
            ceiling_rate = total / ceiling_s / 1e6
            print(f"  ceiling (read + SHA-256 + write + fsync): {ceiling_s:.2f} s, "
                  f"{ceiling_rate:.0f} MB/s")  # fmt: skip
            shutil.rmtree(work / "ceiling")
            os.sync()

            photos_s = upload_all(server, cookies, headers, case_id, photos, args.clients)
            server.wait_idle()
            video_s = upload_all(server, cookies, headers, case_id, [video], 1)
            server.wait_idle()
            ingest_rate = total / (photos_s + video_s) / 1e6
            ratios.append(ingest_rate / ceiling_rate)
            print(f"  ingest over HTTP ({args.clients} connections for photos): photos "
                  f"{photos_s:.2f} s ({photo_bytes / photos_s / 1e6:.0f} MB/s, "
                  f"{n_photos / photos_s:.1f}/s), video {video_s:.2f} s "
                  f"({video_bytes / video_s / 1e6:.0f} MB/s); {ingest_rate:.0f} MB/s overall, "
                  f"{ratios[-1]:.2f} of the ceiling")  # fmt: skip
            print(f"  server peak RSS so far: {server.status('VmHWM') / 1024:.0f} MB")
            exif_photos = photos
            if n + 1 < rounds:
                shutil.rmtree(media_dir)

        peak_rss_mb = server.status("VmHWM") / 1024  # the ingest's, before the thumbnails
        print("thumbnails:")
        thumbs_dir = work / "thumbs"
        thumbs_dir.mkdir()
        thumb_delta = thumb_peak_rss_delta_mb(
            server, cookies, headers, case_id, make_flat_pngs(thumbs_dir)
        )
        exif = exif_ms(exif_photos, taken)
        print(f"EXIF check: {exif:.2f} ms per photo")
        exif_c2pa = exif_ms(exif_photos, taken, c2pa=True)
        print(f"EXIF check + Content Credentials (C2PA) look: {exif_c2pa:.2f} ms per photo "
              "(target 10 ms)")  # fmt: skip
        ratio = statistics.median(ratios)
        print(f"ratio per round: {', '.join(f'{r:.2f}' for r in ratios)}; the median is reported")
        print(f"RESULT ingest_vs_ceiling={ratio:.2f} peak_rss_mb={peak_rss_mb:.0f} "
              f"exif_check_ms={exif:.2f} thumb_peak_rss_delta_mb={thumb_delta:.0f} "
              f"exif_c2pa_ms={exif_c2pa:.2f}")  # fmt: skip
    finally:
        server.stop()
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
