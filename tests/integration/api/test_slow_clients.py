"""Stories of clients that hold connections open: the real app under uvicorn, over real sockets.

The server is started in the test's event loop as `casetrail serve` configures it
(`serving.server_config`), with limits short enough for a test to take seconds. Every wait is on
the connection's state (the server closing it), bounded, never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from PIL import Image

from backend.app import create_app
from backend.serving import server_config
from backend.settings import ConnectionLimits, Settings
from tests.integration.conftest import signed_in
from tests.integration.identity.people import AGENCY, open_case

QUICK = ConnectionLimits(
    header_timeout_s=0.5, min_body_rate=1000, body_window_s=0.5, max_per_client=4
)
BOUND_S = 10  # how long a story waits for the server to act before it fails


@dataclass
class Live:
    app: object
    port: int

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)

    def client(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}", timeout=BOUND_S)
        client.app = self.app  # type: ignore[attr-defined]  # what signed_in reads settings from
        return client


@asynccontextmanager
async def serving(settings: Settings, limits: ConnectionLimits) -> AsyncIterator[Live]:
    app = create_app(settings)
    server = uvicorn.Server(server_config(app, "127.0.0.1", 0, limits, log_level="warning"))
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(BOUND_S):
        while not server.started:
            if task.done():
                task.result()  # the server failed to start: say why
            await asyncio.sleep(0.01)
    try:
        yield Live(app, server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        await task


async def until_closed(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends before it closes the connection."""
    async with asyncio.timeout(BOUND_S):
        return await reader.read()


async def send_slowly(writer: asyncio.StreamWriter, pieces: list[bytes], every_s: float) -> None:
    """Write one piece at a time until they run out or the server hangs up."""
    try:
        for piece in pieces:
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(every_s)
    except ConnectionError:
        pass


def noise_jpeg() -> bytes:
    rng = random.Random(3)
    out = io.BytesIO()
    Image.frombytes("RGB", (160, 120), rng.randbytes(160 * 120 * 3)).save(out, "JPEG", quality=95)
    return out.getvalue()


async def test_a_normal_request_is_answered_as_before(settings):
    async with serving(settings, QUICK) as live, live.client() as client:
        answer = await client.get("/api/time")
        assert answer.status_code == 200


async def test_a_client_sending_one_header_line_at_a_time_is_answered_408_and_closed(settings):
    async with serving(settings, QUICK) as live:
        reader, writer = await live.connect()
        lines = [b"GET /api/time HTTP/1.1\r\n", b"Host: localhost\r\n"]
        lines += [f"X-Slow-{i}: still coming\r\n".encode() for i in range(200)]
        dribbling = asyncio.create_task(send_slowly(writer, lines, every_s=0.1))

        answer = await until_closed(reader)

        dribbling.cancel()
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408 ")
        assert b'"code": "request_timeout"' in answer


async def test_a_connection_that_never_sends_a_request_is_closed(settings):
    async with serving(settings, QUICK) as live:
        reader, writer = await live.connect()

        assert await until_closed(reader) == b""
        writer.close()


async def test_an_upload_dribbled_a_byte_at_a_time_is_ended_with_408_and_keeps_what_arrived(
    settings,
):
    data = noise_jpeg()
    async with serving(settings, QUICK) as live, live.client() as client:
        officer = await signed_in(client, "officer", AGENCY)
        case_id = await open_case(client, officer)
        meta = {"sha256": hashlib.sha256(data).hexdigest(), "media_type": "image/jpeg",
                "case_id": case_id, "client_id": str(uuid.uuid4()), "filename": "IMG_0001.jpg"}  # fmt: skip
        tus = {**officer, "Tus-Resumable": "1.0.0"}
        metadata = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
        created = await client.post(
            "/api/uploads",
            headers={**tus, "Upload-Length": str(len(data)), "Upload-Metadata": metadata},
        )
        assert created.status_code == 201, created.text
        location = created.headers["location"]

        reader, writer = await live.connect()
        cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        head = (
            f"PATCH {location} HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nCookie: {cookies}\r\n"
            f"x-csrftoken: {officer['x-csrftoken']}\r\nTus-Resumable: 1.0.0\r\n"
            f"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        ).encode()
        writer.write(head + data[:3000])  # a good start, then the signal fades
        dribbling = asyncio.create_task(
            send_slowly(writer, [data[i : i + 1] for i in range(3000, len(data))], every_s=0.1)
        )

        answer = await until_closed(reader)

        dribbling.cancel()
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        # The request lets go of the upload's lock a moment after the client was answered; a
        # phone's outbox retries a 423 as it would here.
        async with asyncio.timeout(BOUND_S):
            while True:
                where = await client.head(location, headers=tus)
                assert where.status_code == 200
                offset = int(where.headers["upload-offset"])
                rest = await client.patch(
                    location,
                    content=data[offset:],
                    headers={**tus, "Upload-Offset": str(offset),
                             "Content-Type": "application/offset+octet-stream"},
                )  # fmt: skip
                if rest.status_code != 423:
                    break
                await asyncio.sleep(0.05)
        assert 3000 <= offset < len(data)  # what arrived is kept
        assert rest.status_code == 204, rest.text
        assert rest.headers["upload-complete"] == "1"


async def test_a_body_still_trickling_after_its_answer_closes_the_connection(settings):
    async with serving(settings, QUICK) as live:
        reader, writer = await live.connect()
        writer.write(
            b"POST /api/uploads HTTP/1.1\r\nHost: localhost\r\nTus-Resumable: 1.0.0\r\n"
            b"Content-Type: application/offset+octet-stream\r\nContent-Length: 2000000000\r\n\r\n"
        )  # declared as 2 GB, sent by nobody signed in, a byte at a time
        dribbling = asyncio.create_task(send_slowly(writer, [b"x"] * 200, every_s=0.1))

        answer = await until_closed(reader)

        dribbling.cancel()
        writer.close()
        assert answer.startswith(b"HTTP/1.1 401 ")
        assert answer.count(b"HTTP/1.1 ") == 1  # closed, with no second answer after the first


async def test_connections_beyond_the_cap_from_one_address_are_refused_with_429(settings):
    limits = ConnectionLimits(header_timeout_s=30, min_body_rate=1000, body_window_s=30,
                              max_per_client=4)  # fmt: skip
    async with serving(settings, limits) as live:
        held = [await live.connect() for _ in range(4)]

        reader, writer = await live.connect()
        refused = await until_closed(reader)
        writer.close()

        assert refused.startswith(b"HTTP/1.1 429 ")
        assert b'"code": "too_many_connections"' in refused
        # One of the four hangs up: a new connection is served again.
        held_reader, held_writer = held.pop()
        held_writer.close()
        assert await until_closed(held_reader) == b""
        async with live.client() as client, asyncio.timeout(BOUND_S):
            while True:
                try:
                    answer = await client.get("/api/time")
                except httpx.RemoteProtocolError:  # the server had not yet seen the hang-up
                    await asyncio.sleep(0.05)
                    continue
                if answer.status_code != 429:
                    break
                await asyncio.sleep(0.05)
        assert answer.status_code == 200
        for _, w in held:
            w.close()


async def test_our_own_reverse_proxy_is_never_capped(settings):
    """Behind a proxy every user arrives from its address: the cap would lock everyone out."""
    limits = ConnectionLimits(header_timeout_s=30, min_body_rate=1000, body_window_s=30,
                              max_per_client=2, uncapped=("127.0.0.1/32",))  # fmt: skip
    async with serving(settings, limits) as live:
        held = [await live.connect() for _ in range(4)]
        async with live.client() as client, asyncio.timeout(BOUND_S):
            answer = await client.get("/api/time")
        assert answer.status_code == 200
        for _, w in held:
            w.close()


def test_the_trusted_proxies_are_the_uncapped_addresses():
    settings = Settings.from_env({"CASETRAIL_TRUSTED_PROXIES": "10.0.0.5, 192.168.0.0/16"})
    assert settings.connection_limits.uncapped == ("10.0.0.5/32", "192.168.0.0/16")
