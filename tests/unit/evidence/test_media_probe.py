"""Stories for reading recordings: what the container says, and a poster frame to show."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import av
import pytest
from PIL import Image

from backend.evidence import media_probe
from backend.evidence.media_probe import MediaUnreadable, poster_frame, probe
from tests.recorder_files import record


def h264_or_mpeg4() -> str:
    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def test_browser_video_recording_in_webm_is_described(tmp_path):
    path = record(tmp_path / "patrol.webm", "webm", "libvpx-vp9", "libopus")

    info = probe(path)

    assert info.container == "matroska,webm"
    assert (info.video_codec, info.audio_codec) == ("vp9", "opus")
    assert (info.width, info.height) == (64, 48)
    assert info.has_video and info.has_audio
    assert info.duration_s == pytest.approx(1.0, abs=0.1)
    assert info.created_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def test_phone_video_in_mp4_is_described(tmp_path):
    path = record(tmp_path / "inquiry.mp4", "mp4", h264_or_mpeg4(), "aac")

    info = probe(path)

    assert info.container.startswith("mov,mp4")
    assert info.video_codec in {"h264", "mpeg4"}
    assert info.audio_codec == "aac"
    assert info.duration_s == pytest.approx(1.0, abs=0.1)
    assert info.created_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def test_audio_only_recording_has_no_video_and_no_poster(tmp_path):
    path = record(tmp_path / "statement.ogg", "ogg", None, "libopus")

    info = probe(path)

    assert (info.has_video, info.has_audio) == (False, True)
    assert info.created_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)  # from the stream tags
    assert poster_frame(path, tmp_path / "poster.jpg") is False


@pytest.mark.parametrize(("name", "fmt"), [("clip.webm", "webm"), ("clip.mp4", "mp4")])
def test_poster_frame_is_the_first_frame_as_jpeg(tmp_path, name, fmt):
    video = "libvpx" if fmt == "webm" else h264_or_mpeg4()
    path = record(tmp_path / name, fmt, video, None)
    out = tmp_path / "poster.jpg"

    assert poster_frame(path, out) is True

    with Image.open(out) as poster:
        assert (poster.format, poster.size) == ("JPEG", (64, 48))
        red, green, _ = poster.getpixel((32, 24))
        assert red > 150 and green < 40  # frame 0 is red, later frames turn yellow


@pytest.mark.parametrize("content", [b"", b"not a recording at all" * 100])
def test_corrupt_recording_is_unreadable(tmp_path, content):
    path = tmp_path / "broken.mp4"
    path.write_bytes(content)

    with pytest.raises(MediaUnreadable):
        probe(path)
    with pytest.raises(MediaUnreadable):
        poster_frame(path, tmp_path / "poster.jpg")


def test_mp4_missing_its_index_is_unreadable(tmp_path):
    path = record(tmp_path / "cut.mp4", "mp4", h264_or_mpeg4(), "aac")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])

    with pytest.raises(MediaUnreadable):
        probe(path)


def test_reading_a_recording_leaves_ffmpeg_out_of_the_server_process(tmp_path):
    """FFmpeg's libraries would stay resident in the server for good once loaded (~35 MB)."""
    path = record(tmp_path / "inquiry.mp4", "mp4", h264_or_mpeg4(), "aac")
    script = (
        "import sys; from pathlib import Path\n"
        "from backend.evidence.media_probe import poster_frame, probe\n"
        "assert probe(Path(sys.argv[1])).has_video\n"
        "assert poster_frame(Path(sys.argv[1]), Path(sys.argv[2]))\n"
        "print(sorted(m for m in sys.modules if m == 'av' or m.startswith('av.')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path), str(tmp_path / "poster.jpg")],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_reader_that_crashes_refuses_the_file_and_the_server_lives_on(tmp_path, monkeypatch):
    crashing = tmp_path / "crashing_reader.py"
    crashing.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n")
    monkeypatch.setattr(media_probe, "READER", crashing)
    path = record(tmp_path / "clip.webm", "webm", "libvpx-vp9", None)

    with pytest.raises(MediaUnreadable, match="signal"):
        probe(path)
    with pytest.raises(MediaUnreadable, match="signal"):
        poster_frame(path, tmp_path / "poster.jpg")


def test_a_file_asked_about_twice_is_read_once(tmp_path, monkeypatch):
    """Sniffing the type and checking the upload both probe it; each read costs a process."""
    path = record(tmp_path / "statement.ogg", "ogg", None, "libopus")
    first = probe(path)
    monkeypatch.setattr(media_probe, "READER", tmp_path / "no_such_reader.py")

    assert probe(path) == first
