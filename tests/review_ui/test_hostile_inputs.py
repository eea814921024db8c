"""A hostile-input corpus, generated here (no downloads): each case with its expected status.

Every case must get a 4xx with a reason (or its success status), never a 500, and leave no
recording behind when refused. Wall time per case is recorded (`record_property`), not asserted.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from review_ui.app import create_app
from scribe.settings import Settings
from tests.audio_samples import cut, encoded, wav_bytes, wav_header, webm_opus
from tests.review_ui.auth import add_user, sign_in
from tests.review_ui.capture_client import new_encounter, put_chunk, start_capture

MAX_SECONDS = 600.0


def _flac_silence(seconds: float, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="flac") as output:
        stream = output.add_stream("flac", rate=rate, layout="mono")
        block = np.zeros((1, rate * 10), np.int16)
        for _ in range(int(seconds / 10)):
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return buffer.getvalue()


def _polyglot_gif_ogg() -> bytes:
    return (
        b"GIF89a"
        + b"\x00" * 20
        + b"<html><script>alert(1)</script>"
        + encoded("ogg", "libopus", 48_000, 0.5)
    )


def _id3_then_wav() -> bytes:
    tag = b"ID3\x04\x00\x00\x00\x00\x00\x10" + b"\x00" * 16
    return tag + wav_bytes(1.0)


# name: (body factory, filename, content type, expected status)
PLAIN_CASES: dict[str, tuple[Callable[[], bytes], str, str, int]] = {
    "valid wav": (lambda: wav_bytes(1.0), "a.wav", "audio/wav", 201),
    "valid webm/opus": (lambda: webm_opus(1.0), "a.webm", "audio/webm", 201),
    "zero bytes": (lambda: b"", "a.wav", "audio/wav", 422),
    "truncated wav": (lambda: wav_bytes(2.0)[:50], "a.wav", "audio/wav", 422),
    "truncated webm": (lambda: webm_opus(4.0)[:3000], "a.webm", "audio/webm", 422),
    "truncated m4a": (lambda: encoded("mp4", "aac", 44_100, 2.0)[:400], "a.m4a", "audio/mp4", 422),
    "lying wav header (1 GB declared)": (
        lambda: wav_header(rate=16_000, channels=1, data_bytes=10**9) + b"\x00\x01" * 16_000,
        "a.wav",
        "audio/wav",
        422,
    ),
    "lying wav header (a little more declared)": (
        lambda: wav_header(rate=16_000, channels=1, data_bytes=96_000) + b"\x00\x01" * 16_000,
        "a.wav",
        "audio/wav",
        422,
    ),
    "text renamed .wav": (lambda: b"just some notes\n" * 100, "a.wav", "audio/wav", 415),
    "png renamed .m4a": (lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 500, "a.m4a", "audio/mp4", 415),
    "zip renamed .wav": (lambda: b"PK\x03\x04" + b"\x00" * 500, "a.wav", "audio/wav", 415),
    "wav named .m4a": (lambda: wav_bytes(1.0), "a.m4a", "audio/mp4", 415),
    "wav sent as audio/webm": (lambda: wav_bytes(1.0), "a.wav", "audio/webm", 415),
    "polyglot gif/html with ogg inside": (_polyglot_gif_ogg, "a.ogg", "audio/ogg", 415),
    "polyglot id3 tag over a wav": (_id3_then_wav, "a.mp3", "audio/mpeg", 422),
    "mp4 box then garbage": (
        lambda: b"\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00" + b"\xde\xad" * 400,
        "a.m4a",
        "audio/mp4",
        422,
    ),
    "3 hours of silence declared, 1 s present": (
        lambda: (
            wav_header(rate=8000, channels=1, data_bytes=3 * 3600 * 8000 * 2) + b"\x00" * 16_000
        ),
        "a.wav",
        "audio/wav",
        422,
    ),
    "3 hours of real silence (flac, 1 kHz)": (
        lambda: _flac_silence(3 * 3600, rate=1000),
        "a.flac",
        "audio/flac",
        413,
    ),
    "20 minutes of real silence (flac)": (
        lambda: _flac_silence(20 * 60),
        "a.flac",
        "audio/flac",
        413,
    ),
    "sample rate 384 kHz": (lambda: wav_bytes(0.5, rate=384_000), "a.wav", "audio/wav", 201),
    "sample rate 1 Hz": (
        lambda: wav_header(rate=1, channels=1, data_bytes=20) + b"\x00\x01" * 10,
        "a.wav",
        "audio/wav",
        422,
    ),
    "sample rate 0": (
        lambda: wav_header(rate=0, channels=1, data_bytes=2000) + b"\x00" * 2000,
        "a.wav",
        "audio/wav",
        422,
    ),
    "6 channels": (lambda: wav_bytes(0.5, channels=6), "a.wav", "audio/wav", 201),
    "64 channels": (lambda: wav_bytes(0.2, channels=64), "a.wav", "audio/wav", 422),
    "0 channels": (
        lambda: wav_header(rate=16_000, channels=0, data_bytes=2000) + b"\x00" * 2000,
        "a.wav",
        "audio/wav",
        422,
    ),
}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    limited = settings.model_copy(
        update={"max_audio_seconds": MAX_SECONDS, "max_upload_bytes": 4 * 1024 * 1024}
    )
    app = create_app(limited)
    add_user(app, "dr.a", "clinician")
    with TestClient(app) as test_client:
        sign_in(test_client, "dr.a")
        yield test_client


@pytest.fixture
def encounter_id(client: TestClient) -> str:
    return new_encounter(client)


def _recordings(settings: Settings) -> int:
    from scribe.db import make_engine

    with make_engine(settings.database_url).connect() as connection:
        return int(connection.execute(text("SELECT COUNT(*) FROM recording")).scalar_one())


@pytest.mark.parametrize("case", sorted(PLAIN_CASES))
def test_plain_upload_corpus(
    case: str,
    client: TestClient,
    encounter_id: str,
    settings: Settings,
    record_property: Callable[[str, object], None],
) -> None:
    make, filename, content_type, expected = PLAIN_CASES[case]
    body = make()
    started = time.monotonic()
    response = client.post(
        f"/api/encounters/{encounter_id}/recordings",
        content=body,
        headers={"Content-Type": content_type},
        params={"filename": filename},
    )
    record_property("seconds", round(time.monotonic() - started, 3))
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.json()["detail"], "a refusal names its reason"
        assert _recordings(settings) == 0
    leftovers = list((settings.recordings_dir / "incoming").glob("*"))
    assert leftovers == []


def test_too_many_channels_is_said_plainly(client: TestClient, encounter_id: str) -> None:
    response = client.post(
        f"/api/encounters/{encounter_id}/recordings",
        content=wav_bytes(0.2, channels=64),
        headers={"Content-Type": "audio/wav"},
        params={"filename": "a.wav"},
    )
    assert response.status_code == 422
    assert "64 audio channels" in response.json()["detail"]


def test_plain_upload_over_the_cap_without_content_length(
    client: TestClient, encounter_id: str
) -> None:
    def body() -> Iterator[bytes]:
        yield wav_header(rate=16_000, channels=1, data_bytes=10**8)
        for _ in range(100):
            yield b"\x00" * 65_536

    response = client.post(
        f"/api/encounters/{encounter_id}/recordings",
        content=body(),
        headers={"Content-Type": "audio/wav"},
    )
    assert response.status_code == 413 and "limit" in response.json()["detail"]


def _put(client: TestClient, capture_id: str, seq: int, data: bytes, sha: str = "") -> int:
    return put_chunk(client, capture_id, seq, data, sha256=sha).status_code


def test_chunk_sequences_with_gaps_duplicates_and_disorder(
    client: TestClient, encounter_id: str, settings: Settings
) -> None:
    capture_id = start_capture(client, encounter_id)
    pieces = cut(webm_opus(2.0), 6)
    statuses = [_put(client, capture_id, seq, pieces[seq]) for seq in (5, 3, 3, 0, 1, 1)]
    assert statuses == [201, 201, 200, 201, 201, 200]
    gap = client.post(f"/api/captures/{capture_id}/finish", json={"last_seq": 5})
    assert gap.status_code == 409 and "2, 4" in gap.json()["detail"]
    assert _put(client, capture_id, 2, pieces[3]) == 201  # wrong bytes for seq 2: caught at finish
    assert _put(client, capture_id, 4, pieces[4]) == 201
    broken = client.post(f"/api/captures/{capture_id}/finish", json={"last_seq": 5})
    assert broken.status_code == 422 and broken.json()["detail"]
    assert _recordings(settings) == 0


def test_chunk_lies_and_oversized_chunk_bodies(client: TestClient, encounter_id: str) -> None:
    capture_id = start_capture(client, encounter_id)
    assert _put(client, capture_id, 0, b"abc", sha="0" * 64) == 422
    assert _put(client, capture_id, 0, b"") == 422
    assert client.put(f"/api/captures/{capture_id}/chunks/-1", content=b"a").status_code == 422

    def huge() -> Iterator[bytes]:
        for _ in range(400):  # 25 MiB, more than max_chunk_bytes, no Content-Length
            yield b"\x00" * 65_536

    response = client.put(
        f"/api/captures/{capture_id}/chunks/1",
        content=huge(),
        headers={"X-Chunk-SHA256": "0" * 64},
    )
    assert response.status_code == 413 and "chunk" in response.json()["detail"]
