"""Write the corpus files we make ourselves (tests/corpus/made/) from tests/real_world_media.py.

Run from the repository root when a maker changes: `python -m tests.corpus.make_made_files`.
The files are kept in the repository so the corpus test reads fixed bytes, like the others.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tests.content_credentials_files import signed_photo, tampered
from tests.real_world_media import (
    jpeg_like_thumbs_db,
    jpeg_with_bad_marker,
    mp4_with_absurd_duration,
    phone_photo,
    tiff_photo,
    truncated_mp4,
    webm_like_thumbs_db,
)
from tests.recorder_files import make_recording

MADE = Path(__file__).parent / "made"


def main() -> None:
    MADE.mkdir(exist_ok=True)
    (MADE / "nikon_thumbs_db_layout.jpg").write_bytes(jpeg_like_thumbs_db("2026:03:01 09:30:00"))
    (MADE / "camera_clock_reset_1998.jpg").write_bytes(jpeg_like_thumbs_db("1998:01:01 00:00:00"))
    (MADE / "xiaomi_utc8_no_offset.jpg").write_bytes(phone_photo(datetime(2026, 3, 1, 10, 0)))
    (MADE / "gimp_edited.jpg").write_bytes(phone_photo(datetime(2026, 3, 1, 10, 0), "GIMP 2.10.36"))
    (MADE / "xingtu_edited.jpg").write_bytes(phone_photo(datetime(2026, 3, 1, 10, 0), "醒图"))
    (MADE / "flipped_byte_in_scan.jpg").write_bytes(jpeg_with_bad_marker())
    (MADE / "scanner.tif").write_bytes(tiff_photo())
    signed = signed_photo(datetime(2026, 3, 1, 2, 0, tzinfo=UTC), 39.9087, 116.3975)
    (MADE / "c2pa_signed.jpg").write_bytes(signed)
    (MADE / "c2pa_changed_after_signing.jpg").write_bytes(tampered(signed))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (MADE / "browser_thumbs_db_layout.webm").write_bytes(
            webm_like_thumbs_db(work / "a.webm").read_bytes()
        )
        (MADE / "phone_cut_short.mp4").write_bytes(truncated_mp4(work / "b.mp4"))
        (MADE / "recorder_absurd_duration.mp4").write_bytes(
            mp4_with_absurd_duration(work / "c.mp4")
        )
        (MADE / "DSJ_0123456_0001.MOV").write_bytes(
            make_recording(
                work / "d.mp4", datetime.fromisoformat("2026-03-01T02:00:00+00:00")
            ).read_bytes()
        )


if __name__ == "__main__":
    main()
