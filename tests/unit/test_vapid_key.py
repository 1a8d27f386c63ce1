"""The push key is made once, however many senders ask for it at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from backend.notify.vapid import application_server_key, load_or_create


def test_senders_asking_at_once_on_a_new_server_all_get_the_one_key(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    with ThreadPoolExecutor(max_workers=8) as pool:
        made = list(pool.map(lambda _: load_or_create(keys), range(32)))

    assert {application_server_key(k) for k in made} == {
        application_server_key(load_or_create(keys))
    }
    assert [p.name for p in keys.iterdir()] == ["vapid.pem"]  # no temporary file left behind
    assert (keys / "vapid.pem").stat().st_mode & 0o777 == 0o600
