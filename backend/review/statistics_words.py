"""Statistics in words: column titles and values as supervisors read them, never metric codes.

Stage, enforcement-kind and finding names come from the strings the app itself shows
(`shared/strings/ui.<lang>.json`); record titles from the kinds' schemas.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from backend.ledger.kinds import schema_files

SHARED = Path(__file__).resolve().parents[2] / "shared"
LANGS = ("zh-CN", "en")

METRIC_TITLES = {
    "cases": ("案件数", "Cases"),
    "av_required": ("应音像记录事项", "AV required"),
    "av_recorded": ("已音像记录事项", "AV recorded"),
    "late_uploads": ("逾期上传", "Late uploads"),
    "missing_signatures": ("缺少签名", "Missing signatures"),
    "refusals": ("拒绝签名", "Refusals to sign"),
    "service_success": ("送达成功", "Served successfully"),
    "spot_checked": ("已抽查录像", "Recordings spot-checked"),
    "spot_compliant": ("抽查合格", "Spot checks compliant"),
    "spot_deficient": ("抽查存在问题", "Spot checks deficient"),
    "spot_serious": ("抽查严重问题", "Spot checks serious"),
}
GROUP_TITLES = {
    "stage": ("阶段", "Stage"),
    "kind": ("类别", "Kind"),
    "service": ("送达", "Service"),
    "exif": ("照片核验", "Photo check"),
}
DIMENSION_TITLES = {
    "agency": ("机关", "Agency"),
    "unit": ("部门", "Unit"),
    "officer": ("执法人员", "Officer"),
    "month": ("月份", "Month"),
}
COVERAGE_TITLE = ("音像记录覆盖率", "AV coverage")


def language(lang: str | None) -> str:
    return "en" if lang == "en" else "zh-CN"


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if language(lang) == "en" else pair[0]


@cache
def strings(lang: str) -> dict[str, str]:
    return json.loads((SHARED / "strings" / f"ui.{language(lang)}.json").read_text("utf-8"))


@cache
def record_title(kind: str, lang: str) -> str | None:
    for path in reversed(schema_files(kind=kind)):
        schema = json.loads(path.read_text("utf-8"))
        title = schema.get("x-title-en") if language(lang) == "en" else schema.get("title")
        if title:
            return str(title).split("（")[0].split(":")[0].strip()
    return None


def metric_title(metric: str, lang: str) -> str:
    """`late_uploads` -> 逾期上传; `stage:service` -> 阶段：送达; unknown values are named as such."""
    if metric in METRIC_TITLES:
        return pick(METRIC_TITLES[metric], lang)
    group, _, value = metric.partition(":")
    words = strings(lang)
    if group == "stage":
        name = words.get(f"stage.{value}")
    elif group == "kind":
        name = words.get(f"kind.{value}")
    elif group == "exif":
        name = words.get(f"finding.{value}")
    elif group == "service":
        name = record_title(f"record.service_{value}", lang)
    else:
        name = None
    other = pick(("其他", "other"), lang)
    separator = ": " if language(lang) == "en" else "："
    return pick(GROUP_TITLES.get(group, ("其他", "Other")), lang) + separator + (name or other)


def dimension_title(dimension: str, lang: str) -> str:
    return pick(DIMENSION_TITLES[dimension], lang)


def dimension_value(dimension: str, value: str, names: dict[str, Any], lang: str) -> str:
    """A row's value as people say it: staff and unit names; the agency as itself."""
    if not value:
        return "—"
    if dimension == "officer":
        person = names["by_id"].get(value)
        if person and person.get("name") and person["name"] != value:
            return str(person["name"])
        return pick(("（未登记姓名）", "(no name on file)"), lang)
    if dimension == "unit":
        return str(names["units"].get(value) or value)
    if dimension == "agency":
        return pick(("本机关", "Agency"), lang)
    return value


def directory_index(directory: dict[str, Any]) -> dict[str, Any]:
    """`staff_names()` as lookups by id."""
    return {
        "by_id": {s["staff_id"]: s for s in directory["staff"]},
        "units": {u["unit_id"]: u["name"] for u in directory["units"]},
    }
