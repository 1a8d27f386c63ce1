"""Media probe: container, codecs, duration and creation time of audio/video, and poster frames.

PyAV reads through the file as the demuxer needs it; nothing here loads a whole recording
into memory. It does so in a short-lived process of its own (this file, run as a script): FFmpeg's
libraries (~35 MB resident once loaded, a fifth of an idle server) never enter the server, and
a demuxer or decoder that crashes or loops on an uploaded file ends that process, not the
server with every request in flight. A probe costs ~0.1 s of CPU to start that process, small
beside receiving a recording.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # PyAV is imported only in the reading process
    import av.container
    import av.stream

# Decoders may need a few packets (B-frames, damaged start) before the first frame; a
# recording whose first few hundred packets all fail is not worth a poster.
POSTER_MAX_PACKETS = 300
POSTER_QUALITY = 85
# A probe reads headers and a poster decodes a few frames: seconds at most, even for a
# recording of hours on a busy machine. Longer is a file that keeps the reader going round.
READ_TIMEOUT_S = 120
# The reading process runs this very file.
READER = Path(__file__)
# Answers kept for files asked about again (sniffing and the ingest check both ask): each
# answer costs a process.
_REMEMBERED = 8


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


_answers: dict[tuple[str, int, int, int, int], MediaInfo] = {}
_answers_lock = threading.Lock()  # probes run on worker threads


def probe(path: Path) -> MediaInfo:
    """Describe an audio or video file; raise MediaUnreadable for corrupt or stream-less files."""
    try:
        st = path.stat()
    except OSError as exc:
        raise MediaUnreadable(f"{path.name}: {exc.strerror}") from exc
    # The same file, unchanged: its name, identity, size and last write.
    key = (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    with _answers_lock:
        known = _answers.get(key)
    if known is not None:
        return known
    answer = _in_reader("probe", path)
    created = answer["created_at"]
    info = MediaInfo(
        **{**answer, "created_at": datetime.fromisoformat(created) if created else None}
    )
    with _answers_lock:
        if len(_answers) >= _REMEMBERED:
            del _answers[next(iter(_answers))]  # the oldest
        _answers[key] = info
    return info


def poster_frame(path: Path, out_jpeg: Path) -> bool:
    """Write the first decodable video frame as an upright JPEG.

    Returns False when the file has no video stream or no frame decodes; raises
    MediaUnreadable when the file cannot be opened at all.
    """
    return bool(_in_reader("poster", path, out_jpeg))


def _in_reader(command: str, *paths: Path) -> Any:
    """Run `command` of this file's `main` in a process of its own; its JSON answer.

    `-I` (isolated): the reader sees neither the caller's PYTHON* variables nor this file's
    folder on its path, only the interpreter's installed packages.
    """
    try:
        done = subprocess.run(
            [sys.executable, "-I", os.fspath(READER), command, *map(os.fspath, paths)],
            capture_output=True,
            timeout=READ_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaUnreadable(f"{paths[0].name}: still reading after {exc.timeout:.0f} s") from exc
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        answer = None
    if done.returncode != 0 or not isinstance(answer, dict):
        # Killed by a signal (a crash in FFmpeg's code) or failed without an answer.
        why = f"signal {-done.returncode}" if done.returncode < 0 else f"status {done.returncode}"
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        raise MediaUnreadable(f"{paths[0].name}: the reader failed ({why}) {tail[0][:200]}")
    if "unreadable" in answer:
        raise MediaUnreadable(answer["unreadable"])
    return answer["answer"]


# -- the reading process ---------------------------------------------------------------------


def _probe_here(path: Path) -> MediaInfo:
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


def _poster_here(path: Path, out_jpeg: Path) -> bool:
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


def main(argv: list[str]) -> None:
    """The reading process: `probe PATH` or `poster PATH OUT_JPEG`; one JSON answer on stdout."""
    command, *paths = argv
    try:
        if command == "probe":
            info = asdict(_probe_here(Path(paths[0])))
            if info["created_at"] is not None:
                info["created_at"] = info["created_at"].isoformat()
            result: dict[str, Any] = {"answer": info}
        elif command == "poster":
            result = {"answer": _poster_here(Path(paths[0]), Path(paths[1]))}
        else:
            raise SystemExit(f"unknown command {command!r}")
    except MediaUnreadable as exc:
        result = {"unreadable": str(exc)}
    # NaN and infinite durations (broken headers) travel as JSON's NaN/Infinity extensions.
    json.dump(result, sys.stdout, allow_nan=True)


if __name__ == "__main__":
    main(sys.argv[1:])
