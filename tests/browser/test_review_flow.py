"""The three roles do their jobs in a real browser, on the processed sample visit.

The tests run in file order as one story: sign-in for every role, a submission refused before
sign-off, the clinician's review and sign-off, the coder's queue, then compliance exporting the
audit packet and verifying it on its own.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from scribe.audit_export import verify_export
from scribe.audit_packet import verify_packet
from tests.browser.conftest import USERS, Service, api_client, screenshot, sign_in


def _csrf_fetch(page: Page, method: str, url: str) -> int:
    script = """([method, url]) => fetch(url, {method, credentials: 'same-origin',
        headers: {'X-CSRF-Token': document.getElementById('review').dataset.csrf}})
        .then(r => r.status)"""
    return int(page.evaluate(script, [method, url]))


def test_every_role_signs_in(page: Page, service: Service) -> None:
    page.goto("/encounters")
    expect(page).to_have_url(re.compile(r"/login\?next=/encounters"))
    screenshot(page, "login")
    sign_in(page, "dr.rivera", "wrong password, surely")
    expect(page.locator(".error")).to_contain_text("Invalid username or password")
    for username, (role, name) in USERS.items():
        page.context.clear_cookies()
        sign_in(page, username)
        expect(page.locator(".who")).to_contain_text(name)
        expect(page.locator(".who .role")).to_have_text(role)
    page.goto("/admin/users")
    expect(page.locator("table")).to_contain_text("cody.coder")
    screenshot(page, "admin-users")


def test_submission_before_sign_off_is_refused(page: Page, service: Service) -> None:
    sign_in(page, "dr.rivera")
    page.goto(f"/encounters/{service.encounter_id}")
    base = f"/api/encounters/{service.encounter_id}"
    assert _csrf_fetch(page, "POST", f"{base}/submission") == 409
    with api_client(service.base_url, "dr.rivera") as client:
        refused = client.post(f"{base}/submission")
    assert refused.status_code == 409 and "sign" in refused.json()["detail"]


def test_clinician_reviews_accepts_and_signs(page: Page, service: Service) -> None:
    sign_in(page, "dr.rivera")
    page.goto("/encounters")
    screenshot(page, "encounters")
    page.click(f"a[href='/encounters/{service.encounter_id}']")
    expect(page.locator("h1")).to_contain_text("Encounter 2026-11-20")
    expect(page.locator(".segment").first).to_be_visible()

    sentence = page.locator(".sentence:not([data-evidence=''])").first
    sentence.click()
    expect(page.locator(".segment.evidence").first).to_be_visible()

    segment = page.locator(".segment").nth(2)
    segment.click()
    start = float(segment.get_attribute("data-start") or 0)
    page.wait_for_function(
        f"Math.abs(document.getElementById('player').currentTime - {start}) < 0.5"
    )
    expect(segment).to_have_class(re.compile("playing"))

    supported = page.locator(".suggestion.kind-supported").first
    expect(supported).to_contain_text("E11.40")
    supported.locator("button[data-status=accepted]").click()
    expect(supported.locator(".status-text")).to_contain_text("accepted by user:dr.rivera")
    expect(page.locator(".suggestion.kind-specificity")).to_contain_text("E11.42")
    expect(page.locator(".suggestion.kind-undocumented")).to_contain_text("I48.91")
    screenshot(page, "review")

    page.fill("#sign-password", "not my password")
    page.check("#attest")
    page.click("#sign-form button[type=submit]")
    expect(page.locator("#message")).to_contain_text("password does not match")
    page.fill("#sign-password", "browser test password 1")
    page.click("#sign-form button[type=submit]")
    expect(page.locator(".badge.signed")).to_be_visible()
    expect(page.locator("#sign-form")).to_have_count(0)

    page.click("#submit-codes")
    expect(page.locator("#message")).to_contain_text("Submission")
    page.reload()
    expect(page.locator(".submit-card")).to_contain_text(re.compile("pending|delivered"))
    screenshot(page, "review-signed")


def test_coder_filters_the_queue_queries_and_defers(page: Page, service: Service) -> None:
    sign_in(page, "cody.coder")
    page.goto("/queue")
    page.select_option("select[name=kind]", "undocumented")
    page.click("form.queue-filters button[type=submit]")
    row = page.locator("tr.kind-undocumented", has_text="I48.91")
    expect(row).to_have_count(1)
    screenshot(page, "queue")
    row.locator("details.ask summary").click()
    expect(row.locator("textarea")).to_contain_text("atrial fibrillation")
    row.locator("details.ask button[type=submit]").click()
    expect(page.locator(".notice")).to_be_visible()

    page.select_option("select[name=kind]", "specificity")
    page.click("form.queue-filters button[type=submit]")
    specificity = page.locator("tr.kind-specificity", has_text="E11.42")
    specificity.locator("input[type=checkbox]").check()
    page.fill("#bulk-reason", "waiting for the neurology consult")
    page.click("#bulk button[value=deferred]")
    expect(page.locator(".notice")).to_be_visible()
    page.select_option("select[name=status]", "deferred")
    page.click("form.queue-filters button[type=submit]")
    expect(page.locator("tr.kind-specificity", has_text="E11.42")).to_contain_text("deferred")

    page.context.clear_cookies()
    sign_in(page, "dr.rivera")
    page.goto("/queries")
    expect(page.locator(".query-card")).to_contain_text("atrial fibrillation")
    screenshot(page, "queries")


def test_compliance_exports_a_packet_that_verifies_alone(
    page: Page, service: Service, tmp_path: Path
) -> None:
    sign_in(page, "carla.compliance")
    page.goto("/compliance")
    page.fill("input[name=encounter_id]", service.encounter_id)
    page.click("form.filters button[type=submit]")
    expect(page.locator("table.audit")).to_contain_text("note.sign")
    page.click("#verify-chain")
    expect(page.locator("#verify-result")).to_contain_text("Chain verified")
    screenshot(page, "compliance")
    key = page.locator("code").nth(1).inner_text().split("--public-key ")[1].strip()

    with page.expect_download() as packet_download:
        page.click("#packet")
    packet = tmp_path / "packet.zip"
    packet_download.value.save_as(packet)
    check = verify_packet(packet, trusted_public_key=key)
    assert check.ok and check.checked > 0, check.problems

    with page.expect_download() as export_download:
        page.click("#export-jsonl")
    export = tmp_path / "audit.jsonl"
    export_download.value.save_as(export)
    assert verify_export(export, trusted_public_key=key).ok

    page.goto(f"/encounters/{service.encounter_id}")
    expect(page.locator("h1")).to_have_text("Not allowed")
