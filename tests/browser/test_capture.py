"""Recording in the browser with a fake microphone: consent, record, a network cut, resume,
stop, and the draft note. The server must hold exactly one complete recording. The live machine
draft shows words of the visit while it is recorded; after a page reload mid-visit the chunks
left on the device are offered for finishing.

Chromium plays a WAV made from the shipped sample visit as its microphone
(`--use-file-for-fake-audio-capture`); Playwright's offline mode cuts the network mid-visit.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import text

from scribe.db import make_engine
from scribe.samples import sample_script_text, sample_visit_path
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    Service,
    screenshot,
    sign_in,
)
from tests.live_service import wait_for


@pytest.fixture(scope="module")
def microphone_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample visit as the WAV Chromium's fake microphone plays."""
    path = tmp_path_factory.mktemp("mic") / "visit.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(sample_visit_path()),
            "-ac",
            "1",
            "-ar",
            "48000",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.fixture(scope="module")
def mic_browser(microphone_wav: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        yield _launch(playwright, microphone_wav)


def _launch(playwright: Playwright, wav: Path) -> Browser:
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}",
        ],
    )


@pytest.fixture
def mic_page(mic_browser: Browser, service: Service) -> Iterator[Page]:
    context = mic_browser.new_context(
        viewport=VIEWPORT, base_url=service.base_url, permissions=["microphone"]
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def _count(service: Service, sql: str, **params: str) -> int:
    with make_engine(service.database_url).connect() as connection:
        return int(connection.execute(text(sql), params).scalar_one())


def _consented_visit(page: Page, external_id: str) -> str:
    """Sign in, start a visit of a new patient and record consent; returns the encounter id."""
    sign_in(page, "dr.rivera")
    page.goto("/record")
    page.fill("#external_id", external_id)
    page.fill("#birth_date", "1950-04-02")
    page.select_option("#sex", "F")
    page.click("form[action='/record'] button[type=submit]")
    expect(page.locator("#consent-step")).to_be_visible()
    expect(page.locator("#resume-step")).to_be_hidden()
    encounter_id = page.locator("#capture").get_attribute("data-encounter") or ""

    expect(page.locator("#start")).to_be_hidden()
    page.fill("#consented-by", "the patient")
    page.check("#consent-given")
    page.click("#consent-form button[type=submit]")
    expect(page.locator("#record-step")).to_be_visible()
    return encounter_id


def test_record_through_a_network_cut(mic_page: Page, service: Service) -> None:
    page = mic_page
    encounter_id = _consented_visit(page, "TABLET-001")
    screenshot(page, "record-consented")

    page.click("#start")
    expect(page.locator("#state")).to_have_text("recording")
    expect(page.locator("#uploaded")).not_to_have_text(re.compile(r"^[01]$"), timeout=30_000)
    page.context.set_offline(True)
    page.wait_for_timeout(7_000)  # recording goes on; chunks wait on the device
    expect(page.locator("#network")).to_contain_text("offline")
    waiting = int(page.locator("#recorded").inner_text()) - int(
        page.locator("#uploaded").inner_text()
    )
    assert waiting >= 1, "chunks recorded offline should wait on the device"
    screenshot(page, "record-offline")
    page.context.set_offline(False)
    page.wait_for_timeout(4_000)
    page.click("#stop")
    expect(page.locator("#review-link")).to_be_visible(timeout=240_000)
    recorded = int(page.locator("#recorded").inner_text())
    assert int(page.locator("#uploaded").inner_text()) == recorded
    screenshot(page, "record-done")

    assert (
        _count(service, "SELECT COUNT(*) FROM recording WHERE encounter_id = :e", e=encounter_id)
        == 1
    )
    assert _count(
        service,
        "SELECT COUNT(*) FROM capture_chunk c JOIN capture_session s ON s.id = c.capture_id"
        " WHERE s.encounter_id = :e",
        e=encounter_id,
    ) in (0, recorded)
    duration = _count(
        service,
        "SELECT CAST(duration_seconds AS INTEGER) FROM recording WHERE encounter_id = :e",
        e=encounter_id,
    )
    assert duration >= 14, duration  # about 5 s online, 7 s offline and 4 s online again

    wait_for(
        lambda: (
            _count(
                service, "SELECT COUNT(*) FROM note_draft WHERE encounter_id = :e", e=encounter_id
            )
            == 1
        ),
        120,
        "the draft note of the recorded visit",
    )
    page.click("#review-link a")
    expect(page.locator(".segment").first).to_be_visible()


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def test_live_transcript_shows_words_while_recording(mic_page: Page, service: Service) -> None:
    page = mic_page
    encounter_id = _consented_visit(page, "TABLET-LIVE")
    page.click("#start")
    panel = page.locator("#live-panel")
    expect(panel).to_be_visible()  # the service has live transcription on
    expect(panel.locator("h3")).to_have_text(
        "Live transcript (machine draft; the final transcript and note follow after you stop)"
    )
    live = page.locator("#live-text")
    expect(live).to_have_attribute("aria-live", "polite")
    # Words are committed once about 20 s of audio lie beyond the last commit; tiny.en on a few
    # CPU cores then needs some seconds per window.
    expect(live).not_to_be_empty(timeout=180_000)
    expect(page.locator("#state")).to_have_text("recording")
    shown = live.inner_text()
    assert len(_words(shown) & _words(sample_script_text())) >= 5, shown
    screenshot(page, "record-live")

    page.click("#stop")
    expect(page.locator("#review-link")).to_be_visible(timeout=240_000)
    with make_engine(service.database_url).connect() as connection:
        details = (
            connection.execute(
                text(
                    "SELECT details FROM audit_event"
                    " WHERE action = 'live_transcript.read' AND encounter_id = :e"
                ),
                {"e": encounter_id},
            )
            .scalars()
            .all()
        )
    assert details, "showing live words is a PHI disclosure and must be audited"
    assert not any(word in str(d) for d in details for word in _words(shown) if len(word) > 5)


def _reload_mid_visit(page: Page, external_id: str) -> tuple[str, int]:
    """Record, cut the network so chunks wait on the device, reload (the page is lost), come
    back online and open the recording page again. Returns the encounter id and how many chunks
    had been recorded before the reload."""
    encounter_id = _consented_visit(page, external_id)
    page.click("#start")
    expect(page.locator("#uploaded")).not_to_have_text(re.compile(r"^[01]$"), timeout=30_000)
    page.context.set_offline(True)
    page.wait_for_timeout(7_000)  # chunks recorded now wait on the device
    recorded = int(page.locator("#recorded").inner_text())
    assert recorded > int(page.locator("#uploaded").inner_text())
    with pytest.raises(PlaywrightError):
        page.reload()  # offline: the page is gone, its chunks stay in IndexedDB
    page.context.set_offline(False)
    page.goto(f"/encounters/{encounter_id}/record")
    expect(page.locator("#resume-step")).to_be_visible()
    expect(page.locator("#resume-summary")).to_contain_text("wait on this device")
    expect(page.locator("#resume-continue")).to_be_visible()  # Chromium records WebM
    return encounter_id, recorded


def _one_recording(page: Page, service: Service, encounter_id: str) -> tuple[int, int]:
    """Checks the server holds one capture and one recording, every chunk once and none left
    on the device; returns the number of chunks and the recording's whole seconds."""

    def one(sql: str) -> int:
        return _count(service, sql, e=encounter_id)

    assert one("SELECT COUNT(*) FROM recording WHERE encounter_id = :e") == 1
    assert one("SELECT COUNT(*) FROM capture_session WHERE encounter_id = :e") == 1
    chunks = one(
        "SELECT COUNT(*) FROM capture_chunk c JOIN capture_session s ON s.id = c.capture_id"
        " WHERE s.encounter_id = :e"
    )
    assert chunks == one("SELECT last_seq FROM capture_session WHERE encounter_id = :e") + 1
    assert int(page.locator("#recorded").inner_text()) == chunks
    expect(page.locator("#uploaded")).to_have_text(str(chunks))
    left = page.evaluate(
        "async (e) => (await window.CaptureStore.byEncounter(e)).length", encounter_id
    )
    assert left == 0
    seconds = one("SELECT CAST(duration_seconds AS INTEGER) FROM recording WHERE encounter_id = :e")
    return chunks, seconds


def test_resume_after_a_reload_mid_visit_and_finish(mic_page: Page, service: Service) -> None:
    page = mic_page
    encounter_id, recorded = _reload_mid_visit(page, "TABLET-RELOAD")
    screenshot(page, "record-resume")
    page.click("#resume-finish")
    expect(page.locator("#review-link")).to_be_visible(timeout=240_000)
    chunks, seconds = _one_recording(page, service, encounter_id)
    # Every chunk recorded before the reload arrived once (one more may have been saved
    # between reading the count and the reload); each holds 3 s.
    assert chunks in (recorded, recorded + 1), (chunks, recorded)
    assert abs(seconds - 3 * chunks) <= 2, (seconds, chunks)


def test_resume_after_a_reload_mid_visit_and_continue(mic_page: Page, service: Service) -> None:
    page = mic_page
    encounter_id, recorded = _reload_mid_visit(page, "TABLET-CONTINUE")
    page.click("#resume-continue")
    expect(page.locator("#state")).to_have_text("recording")
    expect(page.locator("#recorded")).to_have_text(str(recorded + 2), timeout=30_000)
    page.click("#stop")
    expect(page.locator("#review-link")).to_be_visible(timeout=240_000)
    chunks, seconds = _one_recording(page, service, encounter_id)
    # Both MediaRecorder streams decode as one recording (the last chunk is cut short by stop).
    assert chunks >= recorded + 2
    assert 3 * (chunks - 1) - 2 <= seconds <= 3 * chunks + 1, (seconds, chunks)


V1_CHUNK = """async () => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("hcc-scribe-capture", 1);
    request.onupgradeneeded = () =>
      request.result.createObjectStore("chunks", { keyPath: ["captureId", "seq"] });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  await new Promise((resolve, reject) => {
    const tx = db.transaction("chunks", "readwrite");
    tx.objectStore("chunks").put({ captureId: "legacy", seq: 0, data: new ArrayBuffer(3),
      sha256: "0".repeat(64) });
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}"""


def test_chunks_saved_before_the_store_upgrade_are_kept(mic_page: Page, service: Service) -> None:
    """IndexedDB version 2 (chunks found by encounter) keeps what version 1 saved."""
    page = mic_page  # one Playwright per module: this one's browser
    sign_in(page, "dr.rivera")
    page.evaluate(V1_CHUNK)  # as the recording page of the previous release left it
    page.goto(f"/encounters/{service.encounter_id}/record")
    expect(page.locator("#consent-step")).to_be_visible()
    kept = page.evaluate("async () => (await window.CaptureStore.pending('legacy')).length")
    indexed = page.evaluate(
        "async (e) => (await window.CaptureStore.byEncounter(e)).length", service.encounter_id
    )
    assert (kept, indexed) == (1, 0)
    expect(page.locator("#resume-step")).to_be_hidden()  # not a capture of this encounter
