"""Schema refusals in an officer's words: the field's Chinese `title` and what is wrong with it.

The validator's own messages are English and name JSON paths (`parties/0/name`); officers see forms
with titled fields, so a refusal names the field as the form shows it. The English message and the
path stay in the error's detail for developers and logs.
"""

from __future__ import annotations

from typing import Any

_TYPE_ZH = {
    "string": "文字",
    "integer": "整数",
    "number": "数字",
    "boolean": "是或否",
    "array": "列表",
    "object": "一组信息",
    "null": "空",
}

_FORMAT_ZH = {"date-time": "有效的日期和时间", "date": "有效的日期", "time": "有效的时间"}


def _sub(schema: dict[str, Any], key: str | int) -> dict[str, Any]:
    """The subschema a payload's key or index is checked against (conditional branches included)."""
    if isinstance(key, int):
        items = schema.get("items")
        return items if isinstance(items, dict) else {}
    found = (schema.get("properties") or {}).get(key)
    if isinstance(found, dict):
        return found
    for branch in [*(schema.get("allOf") or []), schema.get("then"), schema.get("else")]:
        if isinstance(branch, dict):
            found = _sub(branch, key)
            if found:
                return found
    return {}


def field_label(schema: dict[str, Any], path: list[str | int]) -> str:
    """'当事人第1项 · 姓名或名称' for parties/0/name: titles as the form shows them."""
    parts: list[str] = []
    node = schema
    for key in path:
        node = _sub(node, key)
        if isinstance(key, int):
            if parts:
                parts[-1] = f"{parts[-1]}第{key + 1}项"
            else:
                parts.append(f"第{key + 1}项")
            continue
        parts.append(str(node.get("title") or key))
    return " · ".join(parts) or str(schema.get("title") or "记录")


def _limit(kind: Any) -> Any:
    return getattr(kind, "limit", None)


def message_zh(schema: dict[str, Any], path: list[str | int], kind: Any) -> tuple[str, str]:
    """(field label, Chinese sentence) for one validation error of jsonschema-rs."""
    name = getattr(kind, "name", "")
    if name == "required":
        field = field_label(schema, [*path, kind.property])
        return field, f"请填写「{field}」"
    field = field_label(schema, path)
    limit = _limit(kind)
    if name == "minLength":
        text = "不能为空" if limit == 1 else f"至少要 {limit} 个字"
    elif name == "maxLength":
        text = f"最多 {limit} 个字"
    elif name in ("enum", "const", "constant"):
        text = "只能从列表中选择"
    elif name == "type":
        wanted = [_TYPE_ZH.get(str(t), str(t)) for t in getattr(kind, "types", [])]
        text = f"应填写{'或'.join(wanted)}" if wanted else "填写的类型不对"
    elif name == "minimum":
        text = f"不能小于 {limit}"
    elif name == "exclusiveMinimum":
        text = f"必须大于 {limit}"
    elif name == "maximum":
        text = f"不能大于 {limit}"
    elif name == "exclusiveMaximum":
        text = f"必须小于 {limit}"
    elif name == "minItems":
        text = "至少要选一项" if limit == 1 else f"至少要 {limit} 项"
    elif name == "maxItems":
        text = f"最多 {limit} 项"
    elif name == "uniqueItems":
        text = "有重复的项"
    elif name == "format":
        text = f"应为{_FORMAT_ZH.get(str(getattr(kind, 'format', '')), '正确的格式')}"
    elif name == "pattern":
        text = "格式不对"
    elif name in ("additionalProperties", "unevaluatedProperties"):
        text = "含有本表没有的项目"
    else:
        text = "填写不符合要求"
    return field, f"「{field}」{text}"
