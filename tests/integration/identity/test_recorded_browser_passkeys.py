"""Passkeys as a real Chromium answered them: the server verifies the recorded ceremonies.

The software authenticator builds its answers from the specification; these were produced by
Chromium's own platform authenticator (tests/fixtures/webauthn/record.py), with the challenge,
origin and RP ID fixed in the recording. It chose Ed25519, which the software one never uses.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from webauthn.helpers import base64url_to_bytes

from backend.errors import Invalid, Unauthorized
from backend.identity.passkeys import finish_authentication, finish_registration
from backend.identity.tables import Challenge, Passkey, Staff
from backend.ledger.ledger import Ledger
from backend.settings import Settings

RECORDED = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "webauthn" / "chromium.json").read_text()
)


def recorded(ceremony: str) -> dict[str, Any]:
    return copy.deepcopy(RECORDED[ceremony])


async def issued(challenge: str, purpose: str, subject: str | None = None) -> None:
    """The server had issued the recorded challenge (tests cannot make it issue that one)."""
    await Challenge.insert(
        Challenge(
            challenge_hash=hashlib.sha256(base64url_to_bytes(challenge)).hexdigest(),
            purpose=purpose,
            subject=subject,
            expires_at=datetime.now(UTC) + timedelta(minutes=5),
        )
    )


async def staff_member(staff_id: str, agency_id: str = "hebei-hrss") -> dict[str, Any]:
    await Staff.insert(
        Staff(
            staff_id=staff_id,
            agency_id=agency_id,
            name="录制警官",
            roles='["officer"]',
            created_at=datetime.now(UTC),
        )
    )
    return await Staff.select().where(Staff.staff_id == staff_id).first()


@pytest.fixture
def browser_site(settings: Settings) -> Settings:
    """The server as the browser saw it: the recorded origin and RP ID."""
    return dataclasses.replace(settings, origins=(RECORDED["origin"],), rp_id=RECORDED["rp_id"])


@pytest.fixture
async def registered(browser_site: Settings, ledger: Ledger) -> dict[str, Any]:
    """The officer's Chromium passkey, registered from the recorded invitation ceremony."""
    registration = recorded("registration")
    staff_id = base64url_to_bytes(registration["options"]["user"]["id"]).decode()
    staff = await staff_member(staff_id)
    await issued(registration["options"]["challenge"], "register", staff_id)
    return await finish_registration(browser_site, ledger, staff, registration["credential"])


async def test_a_passkey_chromium_made_is_registered_with_its_public_key_on_the_timeline(
    registered: dict[str, Any], ledger: Ledger
) -> None:
    assert registered["credential_id"] == RECORDED["registration"]["credential"]["id"]
    key = await Passkey.select().where(Passkey.credential_id == registered["credential_id"]).first()
    entry = await ledger.get(registered["entry_hash"])
    assert entry.payload["public_key"] == key["public_key"]
    assert entry.payload["user_verified"] is True


async def test_the_officer_signs_in_with_what_chromium_answered(
    registered: dict[str, Any], browser_site: Settings
) -> None:
    signin = recorded("authentication")
    await issued(signin["options"]["challenge"], "signin")

    key, staff = await finish_authentication(browser_site, signin["credential"])

    assert key["credential_id"] == registered["credential_id"]
    assert (
        staff["staff_id"]
        == base64url_to_bytes(signin["credential"]["response"]["userHandle"]).decode()
    )


async def test_the_recorded_sign_in_replayed_is_refused(
    registered: dict[str, Any], browser_site: Settings
) -> None:
    signin = recorded("authentication")
    await issued(signin["options"]["challenge"], "signin")
    await finish_authentication(browser_site, signin["credential"])

    with pytest.raises(Invalid) as refused:
        await finish_authentication(browser_site, signin["credential"])
    assert refused.value.code == "challenge_used"


@pytest.mark.parametrize(
    "elsewhere",
    [{"origins": ("https://casetrail.example.org",)}, {"rp_id": "casetrail.example.org"}],
    ids=["another origin", "another rp id"],
)
async def test_the_recorded_sign_in_is_refused_by_a_site_it_was_not_made_for(
    registered: dict[str, Any], browser_site: Settings, elsewhere: dict[str, Any]
) -> None:
    signin = recorded("authentication")
    await issued(signin["options"]["challenge"], "signin")
    sign_count = (await Passkey.select(Passkey.sign_count).first())["sign_count"]

    with pytest.raises(Unauthorized) as refused:
        await finish_authentication(
            dataclasses.replace(browser_site, **elsewhere), signin["credential"]
        )
    assert refused.value.code == "assertion_failed"
    assert (await Passkey.select(Passkey.sign_count).first())["sign_count"] == sign_count


@pytest.mark.parametrize(
    "elsewhere",
    [{"origins": ("https://casetrail.example.org",)}, {"rp_id": "casetrail.example.org"}],
    ids=["another origin", "another rp id"],
)
async def test_the_recorded_registration_is_refused_by_a_site_it_was_not_made_for(
    browser_site: Settings, ledger: Ledger, elsewhere: dict[str, Any]
) -> None:
    registration = recorded("registration")
    staff_id = base64url_to_bytes(registration["options"]["user"]["id"]).decode()
    staff = await staff_member(staff_id)
    await issued(registration["options"]["challenge"], "register", staff_id)
    site = dataclasses.replace(browser_site, **elsewhere)

    with pytest.raises(Invalid) as refused:
        await finish_registration(site, ledger, staff, registration["credential"])
    assert refused.value.code == "registration_failed"
    assert await Passkey.count() == 0


async def test_the_recorded_registration_cannot_be_kept_for_an_officer_of_another_agency(
    browser_site: Settings, ledger: Ledger
) -> None:
    registration = recorded("registration")
    officer = base64url_to_bytes(registration["options"]["user"]["id"]).decode()
    await issued(registration["options"]["challenge"], "register", officer)
    intruder = await staff_member("s-intruder", agency_id="hunan-hrss")

    with pytest.raises(Invalid) as refused:
        await finish_registration(browser_site, ledger, intruder, registration["credential"])
    assert refused.value.code == "unknown_challenge"
    assert await Passkey.count() == 0
