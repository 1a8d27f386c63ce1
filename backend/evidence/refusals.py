"""Why an uploaded file was refused, in words an officer can act on: Chinese and English.

Decoders (FFmpeg, Pillow, exifread) name the file they opened — the upload's path inside the data
directory — and speak to developers. Their text goes to the server log; the person who sent the
file gets a sentence chosen by a stable code and reason, which never carries a server path.
"""

from __future__ import annotations

import logging

from backend.errors import CaseTrailError

log = logging.getLogger("casetrail.evidence")

# (code, reason) -> (Chinese, English); reason "" is the code's general case.
MESSAGES: dict[tuple[str, str], tuple[str, str]] = {
    ("type_mismatch", "empty"): ("文件是空的", "The file is empty"),
    ("type_mismatch", "unknown"): (
        "无法识别文件类型，请确认是照片、录音或录像文件",
        "The file's type cannot be recognised; check that it is a photo, audio or video file",
    ),
    ("type_mismatch", "unreadable"): (
        "文件无法打开：文件已损坏或不完整",
        "The file cannot be opened: it is damaged or incomplete",
    ),
    ("type_mismatch", "mismatch"): (
        "文件内容与其类型（{media_type}）不符",
        "The file's content does not match its type ({media_type})",
    ),
    ("type_mismatch", "not_allowed"): (
        "不接受此类文件（{media_type}）",
        "This type of file is not accepted here ({media_type})",
    ),
    ("type_mismatch", "polyglot"): (
        "文件中藏有另一个文件，已拒收",
        "Another file is hidden inside this one; it was refused",
    ),
    ("type_mismatch", ""): (
        "文件类型不符，已拒收",
        "The file is not of an accepted type; it was refused",
    ),
    ("unsafe_image", "bomb"): (
        "图片像素过多，无法安全处理",
        "The image has too many pixels to be processed safely",
    ),
    ("unsafe_image", "truncated"): (
        "图片不完整：文件被截断",
        "The image is incomplete: the file is cut short",
    ),
    ("unsafe_image", "bad_marker"): (
        "图片已损坏：压缩数据中有错误的标记",
        "The image is damaged: its compressed data holds a bad marker",
    ),
    ("unsafe_image", ""): (
        "图片无法解码：文件已损坏或不是有效的图片",
        "The image cannot be decoded: the file is damaged or not a valid image",
    ),
    ("unreadable_media", ""): (
        "录音录像文件无法读取：文件已损坏，或其中没有声音和画面",
        "The audio or video file cannot be read: it is damaged or holds no sound or picture",
    ),
    ("truncated_media", ""): (
        "文件不完整：文件在结尾之前被截断，请重新发送完整的文件",
        "The file is incomplete: it is cut short before its end; send the whole file again",
    ),
    ("unsupported_media_type", ""): (
        "不接受此类文件（{media_type}）",
        "This type of file is not accepted here ({media_type})",
    ),
    ("absurd_exif", ""): (
        "照片的拍摄信息（EXIF）无法读取或含有不可能的数值",
        "The photo's EXIF data cannot be read or holds impossible values",
    ),
}


def words(code: str, reason: str = "", **values: str) -> tuple[str, str]:
    """The Chinese and English sentence for a refusal, with `{name}` filled from `values`."""
    zh, en = MESSAGES.get((code, reason)) or MESSAGES[(code, "")]
    return zh.format(**values), en.format(**values)


def refusal(
    error: type[CaseTrailError],
    code: str,
    cause: Exception,
    reason: str = "",
    media_type: str = "",
) -> CaseTrailError:
    """The HTTP refusal for a decoder's complaint; the complaint itself is logged, not sent."""
    log.warning("upload refused (%s %s): %s", code, reason or "-", cause)
    zh, en = words(code, reason, media_type=media_type or "?")
    detail = {"message_zh": zh, "message_en": en}
    if reason:
        detail = {"reason": reason, **detail}
    return error(f"{zh} / {en}", code=code, detail=detail)
