"""Configuration turns into the right stages: every drafter builds, remote LLMs get privacy."""

from __future__ import annotations

import json

import httpx
import pytest

from models import ModelError
from review_ui.composition import build_drafter, models_in_use
from review_ui.privacy import endpoint_is_loopback, remote_needs_deidentification
from scribe.contracts import Segment, Transcript
from scribe.settings import Settings


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080/v1", True),
        ("http://localhost/v1", True),
        ("http://[::1]:9000/v1", True),
        ("https://llm.example.org/v1", False),
        ("http://10.1.2.3/v1", False),
    ],
)
def test_loopback_detection(url: str, loopback: bool) -> None:
    assert endpoint_is_loopback(url) is loopback


def test_remote_endpoints_are_deidentified_by_default(settings: Settings) -> None:
    remote = settings.model_copy(update={"llm_endpoint_url": "https://llm.example.org/v1"})
    local = settings.model_copy(update={"llm_endpoint_url": "http://127.0.0.1:8000/v1"})
    assert remote_needs_deidentification(remote)
    assert not remote_needs_deidentification(local)
    forced = local.model_copy(update={"llm_deidentify": "always"})
    assert remote_needs_deidentification(forced)


def test_openai_drafter_needs_its_endpoint_settings(settings: Settings) -> None:
    with pytest.raises(ModelError, match="SCRIBE_LLM_ENDPOINT_URL"):
        models_in_use(settings.model_copy(update={"drafter": "openai"}))


def test_remote_llm_receives_no_phi_and_the_note_gets_originals_back(settings: Settings) -> None:
    """Inspects exactly what would be sent to a remote endpoint, with the real de-identifier."""
    configured = settings.model_copy(
        update={
            "drafter": "openai",
            "llm_endpoint_url": "https://llm.example.org/v1",
            "llm_endpoint_model": "llama-3.1-8b-instruct",
        }
    )
    drafter = build_drafter(configured, models_in_use(configured))
    sent: list[str] = []

    def endpoint(request: httpx.Request) -> httpx.Response:
        sent.append(request.content.decode())
        user = json.loads(request.content)["messages"][-1]["content"]
        greeting = next(line for line in user.splitlines() if "Good morning" in line)
        surrogate_name = greeting.split("Mrs. ", 1)[1].split(",", 1)[0]
        note = f"HISTORY OF PRESENT ILLNESS\nMrs. {surrogate_name} reports knee pain."
        return httpx.Response(200, json={"choices": [{"message": {"content": note}}]})

    drafter._transport = httpx.MockTransport(endpoint)  # type: ignore[attr-defined]
    transcript = Transcript(
        segments=(
            Segment(
                id=0,
                start=0,
                end=3,
                speaker="clinician",
                text="Good morning Mrs. Eleanor Whitfield, date of birth March 3rd 1948?",
            ),
            Segment(
                id=1,
                start=3,
                end=6,
                speaker="patient",
                text="Yes. My knee hurts. Call my daughter Janet Whitfield at 617-555-0199.",
            ),
            Segment(
                id=2,
                start=6,
                end=9,
                speaker="clinician",
                text="Your MRN is 48213377. Take ibuprofen 400 mg for the knee pain.",
            ),
        )
    )
    draft = drafter.draft(transcript)
    [body] = sent
    for phi in ("Whitfield", "Eleanor", "Janet", "617-555-0199", "48213377", "March 3rd"):
        assert phi not in body, phi
    assert "ibuprofen 400 mg" in body and "knee" in body
    assert draft.provenance[0].parameters["deidentified"] is True
    assert "Mrs. Eleanor Whitfield reports knee pain." in draft.as_text()
