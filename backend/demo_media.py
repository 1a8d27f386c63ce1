"""Real capture files for the demo: camera JPEGs with EXIF and GPS, short recordings, drawn signatures.

Everything is drawn from a seed, so the same demo gives the same pictures. The files are real
(Pillow and PyAV write them as a phone would), because the server inspects them: EXIF time and
GPS are compared with the device's claim, recordings are probed, images are decoded.
"""

from __future__ import annotations

import io
import math
import random
from datetime import UTC, datetime
from fractions import Fraction
from functools import cache
from zoneinfo import ZoneInfo

import av
from PIL import Image, ImageDraw, ImageFont

CHINA = ZoneInfo("Asia/Shanghai")
PHOTO_SIZE = (960, 720)
VIDEO_SIZE = (320, 240)
# EXIF tag numbers (Pillow names them in ExifTags; numbers keep the writer explicit).
MAKE, MODEL, SOFTWARE, DATETIME = 0x010F, 0x0110, 0x0131, 0x0132
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, OFFSET_TIME_ORIGINAL = 0x9003, 0x9011


@cache
def _font_file() -> str | None:
    try:
        from backend.cases.documents import cjk_font

        return str(cjk_font()[0])
    except Exception:  # no CJK font installed: Latin text still draws, Chinese shows as boxes
        return None


def font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    path = _font_file()
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def street_scene(
    seed: int, sign: str, plate: str = "", size: tuple[int, int] = PHOTO_SIZE
) -> Image.Image:
    """A street in daylight: sky, buildings with windows, a shop sign, a road and maybe a lorry."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    horizon = int(height * 0.62)
    for y in range(horizon):  # sky, lighter towards the horizon
        shade = y / horizon
        draw.line([(0, y), (width, y)], fill=(int(110 + 90 * shade), int(160 + 70 * shade), 235))
    x = 0
    while x < width:  # a row of buildings
        w = rng.randint(width // 8, width // 4)
        top = rng.randint(int(height * 0.12), int(height * 0.4))
        colour = tuple(rng.randint(150, 215) for _ in range(3))
        draw.rectangle([x, top, x + w, horizon], fill=colour, outline=(90, 90, 90))
        for wy in range(top + 14, horizon - 30, 34):
            for wx in range(x + 10, x + w - 22, 30):
                lit = rng.random() < 0.25
                draw.rectangle(
                    [wx, wy, wx + 16, wy + 20], fill=(250, 230, 150) if lit else (80, 110, 140)
                )
        x += w + rng.randint(0, 12)
    # The shop sign the officer photographs: the party's name in red, as on a real storefront.
    sign_font = font(int(height * 0.06))
    box = draw.textbbox((0, 0), sign, font=sign_font)
    sw, sh = box[2] - box[0] + 40, box[3] - box[1] + 24
    sx, sy = (width - sw) // 2, int(height * 0.44)
    draw.rectangle([sx, sy, sx + sw, sy + sh], fill=(180, 20, 30), outline=(240, 200, 60), width=4)
    draw.text((sx + 20, sy + 8), sign, font=sign_font, fill=(255, 230, 120))
    draw.rectangle([0, horizon, width, height], fill=(70, 72, 78))  # the road
    for lx in range(0, width, 120):
        draw.rectangle(
            [lx + 20, int(height * 0.8), lx + 80, int(height * 0.8) + 8], fill=(235, 235, 235)
        )
    if plate:  # a lorry with its number plate
        lx, ly = rng.randint(40, width // 3), int(height * 0.63)
        draw.rectangle(
            [lx, ly, lx + 340, ly + 150], fill=(40, 90, 160), outline=(20, 20, 20), width=3
        )
        draw.rectangle(
            [lx + 340, ly + 40, lx + 440, ly + 150],
            fill=(220, 220, 220),
            outline=(20, 20, 20),
            width=3,
        )
        for wheel in (lx + 60, lx + 270, lx + 390):
            draw.ellipse([wheel - 28, ly + 130, wheel + 28, ly + 186], fill=(25, 25, 25))
        plate_font = font(24)
        pw = draw.textbbox((0, 0), plate, font=plate_font)[2] + 12
        draw.rectangle([lx + 20, ly + 104, lx + 20 + pw, ly + 134], fill=(250, 200, 0))
        draw.text((lx + 26, ly + 104), plate, font=plate_font, fill=(10, 10, 10))
    return image


def _rational(value: float) -> tuple[Fraction, Fraction, Fraction]:
    degrees = int(value)
    minutes_f = (value - degrees) * 60
    minutes = int(minutes_f)
    seconds = round((minutes_f - minutes) * 60, 4)
    return Fraction(degrees), Fraction(minutes), Fraction(seconds).limit_denominator(10000)


def camera_jpeg(image: Image.Image, taken_at: datetime, lat: float, lon: float) -> bytes:
    """A phone camera's JPEG: local DateTimeOriginal with its offset, GPS position and GPS time."""
    local = taken_at.astimezone(CHINA)
    stamp = local.strftime("%Y:%m:%d %H:%M:%S")
    exif = Image.Exif()
    exif[MAKE], exif[MODEL], exif[SOFTWARE] = "HUAWEI", "ALN-AL00", "ALN-AL00 4.2.0"
    exif[DATETIME] = stamp
    details = exif.get_ifd(EXIF_IFD)
    details[DATETIME_ORIGINAL] = stamp
    details[OFFSET_TIME_ORIGINAL] = "+08:00"
    gps = exif.get_ifd(GPS_IFD)
    utc = taken_at.astimezone(UTC)
    gps.update(
        {
            0: b"\x02\x03\x00\x00",
            1: "N" if lat >= 0 else "S",
            2: _rational(abs(lat)),
            3: "E" if lon >= 0 else "W",
            4: _rational(abs(lon)),
            7: (Fraction(utc.hour), Fraction(utc.minute), Fraction(utc.second)),
            29: utc.strftime("%Y:%m:%d"),
        }
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82, exif=exif)
    return out.getvalue()


def handwriting(name: str, seed: int, size: tuple[int, int] = (480, 160)) -> tuple[bytes, list]:
    """A drawn signature as the app's pad makes it: a PNG and its strokes ([x, y, t_ms, pressure]).

    The name is written with the CJK font, slanted and shaken a little like a quick hand; the
    strokes follow the ink row by row, which is what the pad would have sampled.
    """
    rng = random.Random(seed)
    width, height = size
    ink = Image.new("L", size, 0)
    ImageDraw.Draw(ink).text((40, 22), name, font=font(96), fill=255)
    slant = rng.uniform(0.18, 0.32)
    ink = ink.transform(size, Image.Transform.AFFINE, (1, slant, -slant * height / 2, 0, 1, 0))
    image = Image.new("RGB", size, "white")
    image.paste((20, 20, 70), mask=ink.point(lambda v: 255 if v > 100 else 0))
    strokes: list[list[list[float]]] = []
    t = 0.0
    pixels = ink.load()
    for y in range(0, height, 6):
        run: list[list[float]] = []
        for x in range(0, width, 3):
            if pixels[x, y] > 100:
                t += rng.uniform(4, 9)
                run.append([float(x), float(y), round(t), round(rng.uniform(0.4, 0.8), 2)])
            elif run:
                if len(run) > 1:
                    strokes.append(run)
                run, t = [], t + rng.uniform(40, 90)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue(), strokes


def fingerprint(seed: int, size: tuple[int, int] = (240, 300)) -> bytes:
    """A red ink fingerprint (捺手印) as photographed on the record: concentric ridges."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (252, 250, 245))
    draw = ImageDraw.Draw(image)
    cx, cy = size[0] / 2 + rng.uniform(-8, 8), size[1] / 2 + rng.uniform(-8, 8)
    for ring in range(4, 110, 7):
        wobble = rng.uniform(-3, 3)
        draw.ellipse(
            [cx - ring * 0.8 + wobble, cy - ring, cx + ring * 0.8 + wobble, cy + ring],
            outline=(190, 30, 40),
            width=3,
        )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _container_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def video_mp4(scene: Image.Image, recorded_at: datetime, seconds: int = 2, fps: int = 8) -> bytes:
    """A body-camera style H.264 clip panning across `scene`, with its creation time."""
    width, height = VIDEO_SIZE
    frame_source = scene.resize((width * 2, height * 2))
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        container.metadata["creation_time"] = _container_time(recorded_at)
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        total = seconds * fps
        for i in range(total):
            left = int(i * (frame_source.width - width) / max(total - 1, 1))
            view = frame_source.crop((left, height // 2, left + width, height // 2 + height))
            frame = av.VideoFrame.from_image(view)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def audio_webm(recorded_at: datetime, seed: int, seconds: int = 3) -> bytes:
    """An interview recording: Opus in WebM, voice-like tones with pauses, with its creation time."""
    rng = random.Random(seed)
    rate = 48000
    out = io.BytesIO()
    with av.open(out, "w", format="webm") as container:
        container.metadata["creation_time"] = _container_time(recorded_at)
        stream = container.add_stream("libopus", rate=rate)
        stream.layout = "mono"
        samples = stream.codec_context.frame_size or 960
        pitch = rng.uniform(110, 220)
        for start in range(0, rate * seconds, samples):
            second = start / rate
            voiced = math.sin(second * 5.3) > -0.3  # syllables and pauses
            values = [
                (
                    0.25 * math.sin(2 * math.pi * pitch * (start + k) / rate)
                    + 0.1 * math.sin(2 * math.pi * pitch * 2.7 * (start + k) / rate)
                )
                if voiced
                else 0.0
                for k in range(samples)
            ]
            frame = av.AudioFrame(format="flt", layout="mono", samples=samples)
            frame.planes[0].update(_floats(values, frame.planes[0].buffer_size))
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def _floats(values: list[float], size: int) -> bytes:
    import struct

    raw = struct.pack(f"<{len(values)}f", *values)
    return raw.ljust(size, b"\x00")[:size]
