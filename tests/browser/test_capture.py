"""Recording in the browser with a fake microphone: consent, record, a network cut, resume,
stop, and the draft note. The server must hold exactly one complete recording.

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
from sqlalchemy import text

from scribe.db import make_engine
from scribe.samples import sample_visit_path
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


def test_record_through_a_network_cut(mic_page: Page, service: Service) -> None:
    page = mic_page
    sign_in(page, "dr.rivera")
    page.goto("/record")
    page.fill("#external_id", "TABLET-001")
    page.fill("#birth_date", "1950-04-02")
    page.select_option("#sex", "F")
    page.click("form[action='/record'] button[type=submit]")
    expect(page.locator("#consent-step")).to_be_visible()
    encounter_id = page.locator("#capture").get_attribute("data-encounter") or ""

    expect(page.locator("#start")).to_be_hidden()
    page.fill("#consented-by", "the patient")
    page.check("#consent-given")
    page.click("#consent-form button[type=submit]")
    expect(page.locator("#record-step")).to_be_visible()
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
