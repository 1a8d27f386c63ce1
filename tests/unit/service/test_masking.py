"""Personal data shown to the public is masked as the agency's pack says."""

from __future__ import annotations

import pytest

from backend import throttle
from backend.cases.rules import get_pack
from backend.service.masking import mask_party, mask_text, mask_value
from backend.throttle import SlidingWindow


@pytest.fixture(scope="module")
def pack():
    return get_pack("zhengxiang-hrss")


def test_names_keep_the_surname_and_for_long_names_the_last_character(pack):
    assert mask_party({"name": "张三", "kind": "person"}, pack)["name"] == "张*"
    assert mask_party({"name": "张三丰", "kind": "person"}, pack)["name"] == "张*丰"
    assert mask_party({"name": "欧阳娜娜", "kind": "person"}, pack)["name"] == "欧**娜"


def test_numbers_are_masked_and_a_persons_address_is_dropped(pack):
    public = mask_party(
        {
            "name": "张三",
            "kind": "person",
            "id_number": "430405199001011234",
            "phone": "13812345678",
            "address": "红湘路88号",
        },
        pack,
    )
    assert public == {
        "kind": "person",
        "name": "张*",
        "id_number": "430405********1234",
        "phone": "138****5678",
    }


def test_an_organisation_keeps_its_name_and_registered_address(pack):
    public = mask_party(
        {"name": "衡阳某某有限公司", "kind": "organisation", "address": "工业路1号"}, pack
    )
    assert public["name"] == "衡阳某某有限公司" and public["address"] == "工业路1号"


def test_free_text_loses_names_numbers_and_home_addresses(pack):
    parties = [
        {"name": "张三丰", "kind": "person", "address": "红湘路88号", "phone": "13812345678"}
    ]
    text = "张三丰（住红湘路88号，电话13812345678，身份证430405199001011234）拒不到场；联系人13900001111。"
    masked = mask_text(text, parties, pack)
    for secret in ("张三丰", "红湘路88号", "13812345678", "430405199001011234", "13900001111"):
        assert secret not in masked
    assert "张*丰" in masked and "139****1111" in masked


def test_a_one_character_value_is_still_hidden():
    assert mask_value("张", {"keep_start": 1}) == "*"


async def test_the_window_forgets_old_events(monkeypatch):
    # One process's window (SQLite's), counted in memory on this test's clock: tables an earlier
    # test bound to PostgreSQL must not turn it into the shared one, which counts on the wall clock.
    monkeypatch.setattr(throttle, "_shared", lambda: False)
    now = [0.0]
    window = SlidingWindow("test", 2, 10, clock=lambda: now[0])
    await window.hit("ip")
    await window.hit("ip")
    assert await window.full("ip")
    now[0] = 10.5
    assert not await window.full("ip")
