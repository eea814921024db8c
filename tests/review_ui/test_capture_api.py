"""The capture API: consent first, chunks out of order and retried, finish once, audio encrypted."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from review_ui.app import create_app
from scribe.audio import decode_audio
from scribe.crypto_at_rest import is_encrypted
from scribe.settings import Settings
from tests.audio_samples import cut, fragmented_mp4_aac, webm_opus
from tests.review_ui.auth import add_user, client_as, sign_in
from tests.review_ui.capture_client import (
    new_encounter,
    put_chunk,
    record_consent,
    start_capture,
)


@pytest.fixture
def app(settings: Settings) -> object:
    return create_app(settings)


@pytest.fixture
def client(app: object) -> Iterator[TestClient]:
    add_user(app, "dr.a", "clinician")  # type: ignore[arg-type]
    with TestClient(app) as test_client:  # type: ignore[arg-type]
        sign_in(test_client, "dr.a")
        yield test_client


@pytest.fixture
def encounter_id(client: TestClient) -> str:
    return new_encounter(client)


def _count(settings: Settings, table: str) -> int:
    from scribe.db import make_engine

    with make_engine(settings.database_url).connect() as connection:
        return int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def test_consent_script_is_listed_with_its_version(client: TestClient) -> None:
    script = client.get("/api/consent-script").json()
    assert script["version"] and len(script["sha256"]) == 64 and "record" in script["text"]


def test_recording_needs_consent_first(client: TestClient, encounter_id: str) -> None:
    refused = client.post(f"/api/encounters/{encounter_id}/captures", json={})
    assert refused.status_code == 409 and "consent" in refused.json()["detail"]
    bad = client.post(
        f"/api/encounters/{encounter_id}/consents",
        json={"consented_by": "x", "method": "verbal", "script_version": "0.0"},
    )
    assert bad.status_code == 422


def test_full_flow_out_of_order_with_a_retry(
    client: TestClient, encounter_id: str, settings: Settings
) -> None:
    capture_id = start_capture(client, encounter_id)
    whole = webm_opus(3.0)
    pieces = cut(whole, 5)
    for seq in (2, 0, 4, 1):
        assert put_chunk(client, capture_id, seq, pieces[seq]).status_code == 201
    retried = put_chunk(client, capture_id, 0, pieces[0])
    assert retried.status_code == 200 and retried.json()["replayed"] is True
    status = client.get(f"/api/captures/{capture_id}").json()
    assert status["missing"] == [3] and sorted(map(int, status["received"])) == [0, 1, 2, 4]
    early = client.post(f"/api/captures/{capture_id}/finish", json={"last_seq": 4})
    assert early.status_code == 409 and "3" in early.json()["detail"]
    assert put_chunk(client, capture_id, 3, pieces[3]).status_code == 201
    total = hashlib.sha256(whole).hexdigest()
    done = client.post(
        f"/api/captures/{capture_id}/finish", json={"last_seq": 4, "total_sha256": total}
    )
    assert done.status_code == 201, done.text
    again = client.post(f"/api/captures/{capture_id}/finish", json={"last_seq": 4})
    assert again.status_code == 200 and again.json()["recording_id"] == done.json()["recording_id"]
    job = client.get(f"/api/jobs/{done.json()['job_id']}").json()
    assert (job["kind"], job["status"]) == ("transcribe", "queued")
    assert _count(settings, "recording") == 1
    assert _count(settings, "job WHERE kind = 'transcribe'") == 1
    # Live transcription is on by default: one live step waits for the capture, however many
    # chunks arrived (at most one is queued at a time).
    assert _count(settings, "job WHERE kind = 'live_transcribe'") == 1
    stored = [p for p in settings.recordings_dir.glob("*") if p.is_file()]
    assert len(stored) == 1 and is_encrypted(stored[0])
    with pytest.raises(av.error.FFmpegError):
        av.open(str(stored[0])).close()
    audio = client.get(
        f"/api/encounters/{encounter_id}/recordings/{done.json()['recording_id']}/audio"
    )
    assert audio.status_code == 200 and audio.content == whole
    ranged = client.get(
        f"/api/encounters/{encounter_id}/recordings/{done.json()['recording_id']}/audio",
        headers={"Range": "bytes=100-199"},
    )
    assert ranged.status_code == 206 and ranged.content == whole[100:200]
    actions = _actions(settings)
    assert {"consent.record", "capture.start", "capture.finish", "recording.played"} <= actions


def _actions(settings: Settings) -> set[str]:
    from scribe.db import make_engine

    with make_engine(settings.database_url).connect() as connection:
        rows = connection.execute(text("SELECT action, details FROM audit_event")).all()
    assert not any("the patient" in str(details) for _, details in rows)  # no PHI in the trail
    return {action for action, _ in rows}


def test_chunk_sha_mismatch_and_conflicting_retry(client: TestClient, encounter_id: str) -> None:
    record_consent(client, encounter_id)
    capture_id = client.post(f"/api/encounters/{encounter_id}/captures", json={}).json()["id"]
    wrong = client.put(
        f"/api/captures/{capture_id}/chunks/0",
        content=b"abc",
        headers={"X-Chunk-SHA256": hashlib.sha256(b"abd").hexdigest()},
    )
    assert wrong.status_code == 422
    assert put_chunk(client, capture_id, 0, b"abc").status_code == 201
    assert put_chunk(client, capture_id, 0, b"xyz").status_code == 409


def test_other_clinicians_captures_are_not_found(app: object, encounter_id: str) -> None:
    with TestClient(app) as owner:  # type: ignore[arg-type]
        sign_in(owner, "dr.a")
        record_consent(owner, encounter_id)
        capture_id = owner.post(f"/api/encounters/{encounter_id}/captures", json={}).json()["id"]
    other = client_as(app, "dr.b", "clinician")  # type: ignore[arg-type]
    assert other.get(f"/api/captures/{capture_id}").status_code == 404
    assert put_chunk(other, capture_id, 0, b"abc").status_code == 404
    coder = client_as(app, "cody", "coder")  # type: ignore[arg-type]
    assert coder.get(f"/api/captures/{capture_id}").status_code == 403


def test_cleanup_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from review_ui import cli

    stray = settings.recordings_dir / "incoming" / "upload-old.part"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"x")
    old = stray.stat().st_mtime - 7200
    os.utime(stray, (old, old))
    monkeypatch.setattr(cli, "_settings", lambda: settings)
    assert cli.main(["cleanup", "--older-than-hours", "1"]) == 0
    assert not stray.exists()


def test_safari_fragmented_mp4_capture_finishes_and_its_prefixes_decode(
    client: TestClient, encounter_id: str, settings: Settings, tmp_path: Path
) -> None:
    """Safari records AAC in fragmented MP4: the capture finishes as one recording, and every
    prefix of its chunks decodes (what live transcription reads while the visit goes on)."""
    capture_id = start_capture(client, encounter_id, mime_type="audio/mp4")
    pieces = cut(fragmented_mp4_aac(12.0), 10)
    for seq, piece in enumerate(pieces):
        assert put_chunk(client, capture_id, seq, piece).status_code == 201
        prefix = tmp_path / f"prefix-{seq}.mp4"
        prefix.write_bytes(b"".join(pieces[: seq + 1]))
        if seq >= 2:  # the first pieces may hold little more than the header
            decoded = decode_audio(prefix, max_seconds=60).duration
            assert decoded == pytest.approx(12.0 * (seq + 1) / len(pieces), abs=1.0)
    done = client.post(f"/api/captures/{capture_id}/finish", json={"last_seq": len(pieces) - 1})
    assert done.status_code == 201, done.text
    assert done.json()["duration_seconds"] == pytest.approx(12.0, abs=0.2)
    assert _count(settings, "recording") == 1
