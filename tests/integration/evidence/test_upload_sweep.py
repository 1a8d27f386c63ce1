"""The hourly sweep clears the folders of uploads whose photo is on the timeline; nothing else changes."""

from __future__ import annotations

import hashlib

from backend.evidence.jobs import finalised
from backend.jobs import all_jobs
from tests.integration.evidence.conftest import jpeg


async def test_a_finalised_photo_leaves_no_upload_folder_and_stays_readable(officer):
    me = officer
    case_id = await me.open_case()
    photo = jpeg((320, 240))
    sent, meta = await me.upload(case_id, photo)
    assert sent.status_code == 204
    entry = (await me.finalise(case_id, meta)).json()
    pending_photo = jpeg((330, 240))
    waiting, waiting_meta = await me.upload(case_id, pending_photo)  # uploaded, not finalised yet
    assert waiting.status_code == 204
    uploads = me.app.state.evidence_uploads

    # On the app's own event loop, where its database pool lives (as the job runs).
    assert me.client.blocking_portal.call(lambda: uploads.sweep(finalised)) == 1

    assert [p.name for p in uploads.root.iterdir()] == [
        uploads.upload_id("E001", case_id, waiting_meta["client_id"])
    ]
    again = await me.finalise(case_id, meta)  # a resend still finds its entry
    assert again.status_code == 201 and again.json()["hash"] == entry["hash"]
    blob = await me.client.get(f"/api/blobs/{meta['sha256']}")
    assert hashlib.sha256(blob.content).hexdigest() == meta["sha256"]


async def test_the_sweep_is_one_of_the_apps_periodic_jobs(officer):
    runtime = officer.app.state.runtime
    assert "evidence_upload_sweep" in {job.name for job in all_jobs(runtime)}
