"""Small real recordings named like recorder files, with known container times (PyAV)."""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image


def make_recording(
    path: Path, created_at: datetime | None, seconds: int = 2, fps: int = 5, shade: int = 0
) -> Path:
    """Write a tiny H.264 MP4 lasting `seconds`, with `creation_time` set when given.

    `shade` changes the pixels so that two recordings of equal length still differ in bytes.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="mp4") as container:
        if created_at is not None:
            container.metadata["creation_time"] = created_at.astimezone(UTC).strftime(
                "%Y-%m-%dT%H:%M:%S.000000Z"
            )
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i in range(seconds * fps):
            frame = av.VideoFrame.from_image(
                Image.new("RGB", (64, 48), ((i * 20 + shade) % 256, shade % 256, 90))
            )
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


CREATED = "2024-05-01T10:00:00.000000Z"


def record(path: Path, fmt: str, video: str | None, audio: str | None) -> Path:
    """Write a one-second recording (25 frames of colour, a 440 Hz tone) with creation_time."""
    with av.open(str(path), "w", format=fmt) as out:
        out.metadata["creation_time"] = CREATED
        vs = out.add_stream(video, rate=25) if video else None
        aus = out.add_stream(audio, rate=48000) if audio else None  # all streams before muxing
        if vs:
            vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
            for i in range(25):
                frame = av.VideoFrame.from_image(Image.new("RGB", (64, 48), (200, i * 8, 40)))
                frame.pts = i
                out.mux(vs.encode(frame))
            out.mux(vs.encode())
        if aus:
            samples, fmt_name, layout = aus.frame_size or 1024, aus.format.name, aus.layout.name
            code = {"s16": "h", "flt": "f", "s32": "i"}[fmt_name.rstrip("p")]
            scale = {"h": 32767, "f": 1.0, "i": 2**31 - 1}[code]
            channels = 1 if fmt_name.endswith("p") else aus.layout.nb_channels
            for start in range(0, 48000, samples):
                tone = [
                    math.sin(2 * math.pi * 440 * (start + k) / 48000) * 0.3 for k in range(samples)
                ]
                values = [type(scale)(v * scale) for v in tone for _ in range(channels)]
                frame = av.AudioFrame(format=fmt_name, layout=layout, samples=samples)
                for plane in frame.planes:
                    raw = struct.pack(f"<{len(values)}{code}", *values)
                    plane.update(raw.ljust(plane.buffer_size, b"\x00")[: plane.buffer_size])
                frame.sample_rate, frame.pts, frame.time_base = 48000, start, Fraction(1, 48000)
                out.mux(aus.encode(frame))
            out.mux(aus.encode())
    return path
