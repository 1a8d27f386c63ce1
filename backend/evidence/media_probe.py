"""Media probe: container, codecs, duration and creation time of audio/video, and poster frames.

PyAV reads through the file as the demuxer needs it; nothing here loads a whole recording
into memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # PyAV is imported on the first recording probed, not at server start-up
    import av.container
    import av.stream

# Decoders may need a few packets (B-frames, damaged start) before the first frame; a
# recording whose first few hundred packets all fail is not worth a poster.
POSTER_MAX_PACKETS = 300
POSTER_QUALITY = 85


class MediaUnreadable(ValueError):
    """The file cannot be read as audio or video."""


@dataclass(frozen=True)
class MediaInfo:
    """What the container says about a recording."""

    duration_s: float | None
    container: str
    video_codec: str | None
    audio_codec: str | None
    width: int | None
    height: int | None
    created_at: datetime | None
    has_video: bool
    has_audio: bool


def probe(path: Path) -> MediaInfo:
    """Describe an audio or video file; raise MediaUnreadable for corrupt or stream-less files."""
    with _open(path) as container:
        video = _first_video_stream(container)
        audio = next(iter(container.streams.audio), None)
        if video is None and audio is None:
            raise MediaUnreadable(f"{path.name}: no audio or video stream")
        return MediaInfo(
            duration_s=_duration_s(container),
            container=container.format.name,
            video_codec=video.codec_context.name if video else None,
            audio_codec=audio.codec_context.name if audio else None,
            width=video.codec_context.width if video else None,
            height=video.codec_context.height if video else None,
            created_at=_creation_time(container),
            has_video=video is not None,
            has_audio=audio is not None,
        )


def poster_frame(path: Path, out_jpeg: Path) -> bool:
    """Write the first decodable video frame as an upright JPEG.

    Returns False when the file has no video stream or no frame decodes; raises
    MediaUnreadable when the file cannot be opened at all.
    """
    import av

    with _open(path) as container:
        stream = _first_video_stream(container)
        if stream is None:
            return False
        for index, packet in enumerate(container.demux(stream)):
            if index >= POSTER_MAX_PACKETS:
                break
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                continue  # a damaged packet; a later keyframe may still decode
            for frame in frames:
                image = frame.to_image()
                rotation = frame.rotation
                if rotation:
                    # Phones record sideways and store the turn as a display matrix.
                    image = image.rotate(rotation, expand=True)
                image.save(out_jpeg, "JPEG", quality=POSTER_QUALITY)
                return True
    return False


def _open(path: Path) -> av.container.InputContainer:
    import av

    try:
        return av.open(str(path), mode="r", metadata_errors="replace")
    except av.error.FFmpegError as exc:
        raise MediaUnreadable(f"{path.name}: {exc}") from exc


def _first_video_stream(container: av.container.InputContainer) -> av.stream.Stream | None:
    import av.stream

    for stream in container.streams.video:
        # Cover art in audio files shows up as a one-frame "video" stream.
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def _duration_s(container: av.container.InputContainer) -> float | None:
    import av

    if container.duration is not None:
        return container.duration / av.time_base
    durations = [
        float(s.duration * s.time_base)
        for s in container.streams
        if s.duration is not None and s.time_base is not None
    ]
    return max(durations) if durations else None


def _creation_time(container: av.container.InputContainer) -> datetime | None:
    # MP4 and WebM keep creation_time on the container; Ogg only on its streams.
    candidates = [container.metadata.get("creation_time")]
    candidates += [s.metadata.get("creation_time") for s in container.streams]
    for text in candidates:
        if not text:
            continue
        try:
            value = datetime.fromisoformat(text.strip())
        except ValueError:
            continue
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None
