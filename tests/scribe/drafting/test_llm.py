"""LLM drafters: prompt files, parsing a messy note, evidence and checks; the real SmolLM2 (e2e)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from models import resolve
from scribe.contracts import SECTION_TITLES, Draft, Transcript
from scribe.drafting import (
    DraftingError,
    EvidenceAligner,
    FaithfulnessChecker,
    HfNoteDrafter,
    OpenAINoteDrafter,
)
from scribe.drafting.lexicon import default_drug_lexicon
from scribe.drafting.prompting import NoteParser, load_prompt, parse_prompt, render_transcript
from scribe.drafting.rulebook import RulesError
from tests.scribe.drafting.transcripts import make_transcript

TRANSCRIPT = make_transcript(
    ("clinician", "What brings you in today?"),
    ("patient", "My left knee has been hurting for three weeks."),
    ("clinician", "Any fever?"),
    ("patient", "No."),
    ("patient", "I take ibuprofen 400 mg twice a day."),
    ("clinician", "On exam the left knee has a small effusion. I think this is osteoarthritis."),
    ("clinician", "Continue the ibuprofen and I'll order a knee x-ray."),
)

MESSY_OUTPUT = """Sure! Here is the note.
**Chief Complaint:** Left knee pain.
## HPI
- The patient reports left knee pain for 3 weeks.
- Denies fever.
Medications: ibuprofen 400 mg twice daily.
VITALS
Blood pressure 150/95.
**Assessment:**
1. Osteoarthritis of the left knee.
2. Start warfarin 5 mg daily.
Plan: Order knee x-ray.
Weird Heading: Continue ibuprofen.
"""


def _fake(output: str):  # type: ignore[no-untyped-def]
    seen: list[list[dict[str, str]]] = []

    def generate(messages: list[dict[str, str]]) -> str:
        seen.append(messages)
        return output

    generate.seen = seen  # type: ignore[attr-defined]
    return generate


def _hf(checker: FaithfulnessChecker, output: str) -> HfNoteDrafter:
    return HfNoteDrafter(
        Path("unused.gguf"),
        model_sha256="0" * 64,
        model_name="fake",
        aligner=EvidenceAligner(None),
        checker=checker,
        generator=_fake(output),
    )


def _by_text(draft: Draft) -> dict[str, tuple[str, str]]:
    return {
        s.text: (section.key, s.status) for section in draft.sections for s in section.sentences
    }


def test_prompt_file_is_versioned_and_validated() -> None:
    prompt = load_prompt("soap_note")
    assert prompt.version
    messages = prompt.messages("Clinician: hello")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "Clinician: hello" in messages[1]["content"]
    with pytest.raises(RulesError):
        parse_prompt("bad", "[meta]\nversion: 1\n[system]\nx\n[assistant]\ny\n")
    with pytest.raises(RulesError):
        parse_prompt("bad", "[meta]\nauthor: me\n[system]\nx\n[user]\n{transcript}\n")
    with pytest.raises(RulesError):
        parse_prompt("bad", "[meta]\nversion: 1\n[system]\nx\n[user]\nno placeholder\n")


def test_render_transcript_names_speakers() -> None:
    text = render_transcript(TRANSCRIPT)
    assert text.splitlines()[0] == "Clinician: What brings you in today?"
    assert text.splitlines()[1].startswith("Patient: My left knee")


def test_parser_places_messy_headings() -> None:
    sections = NoteParser().parse(MESSY_OUTPUT)
    assert sections["chief_complaint"] == ["Left knee pain."]
    assert "Denies fever." in sections["hpi"]
    assert "ibuprofen 400 mg twice daily." in sections["hpi"]
    assert sections["exam"] == ["Blood pressure 150/95."]
    assert "Osteoarthritis of the left knee." in sections["assessment_plan"]
    assert "Order knee x-ray." in sections["assessment_plan"]
    assert "Continue ibuprofen." in sections["assessment_plan"]  # unknown heading: stays put
    assert "Sure!" in sections["hpi"][0]  # text before any heading: default section


def test_parser_empty_output() -> None:
    assert NoteParser().parse("") == {key: [] for key in SECTION_TITLES}


def test_hf_drafter_links_and_checks_every_sentence(checker: FaithfulnessChecker) -> None:
    drafter = _hf(checker, MESSY_OUTPUT)
    draft = drafter.draft(TRANSCRIPT)
    verdicts = _by_text(draft)
    assert verdicts["The patient reports left knee pain for 3 weeks."] == ("hpi", "supported")
    assert verdicts["Start warfarin 5 mg daily."] == ("assessment_plan", "unsupported")
    assert verdicts["Blood pressure 150/95."][1] == "unsupported"
    [warfarin] = [s for s in draft.sentences() if "warfarin" in s.text]
    assert "medication 'warfarin' not mentioned in the transcript" in warfarin.issues
    [knee] = [s for s in draft.sentences() if s.text.startswith("The patient reports left knee")]
    assert knee.evidence and knee.evidence[0].segment_id == 1
    [provenance] = draft.provenance
    assert provenance.rules_version == f"prompt:soap_note={load_prompt().version}"
    assert provenance.model_sha256 == "0" * 64
    [messages] = drafter._generator.seen  # type: ignore[union-attr]
    assert "Patient: I take ibuprofen 400 mg twice a day." in messages[1]["content"]


def test_hf_drafter_empty_output(checker: FaithfulnessChecker) -> None:
    draft = _hf(checker, "   ").draft(TRANSCRIPT)
    assert draft.sentences() == []
    assert [section.key for section in draft.sections] == list(SECTION_TITLES)
    assert draft.provenance[0].parameters["empty_output"] is True


class _SwapRoundTrip:
    """Stands in for de-identification: swaps one word out and back."""

    def outbound(self, text: str) -> str:
        return text.replace("ibuprofen", "[DRUG]")

    def inbound(self, text: str) -> str:
        return text.replace("[DRUG]", "ibuprofen")


def test_openai_drafter_posts_filtered_chat_completion(checker: FaithfulnessChecker) -> None:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        content = (
            "ASSESSMENT AND PLAN\nOsteoarthritis of the left knee. Start warfarin. Continue [DRUG]."
        )
        return httpx.Response(200, json={"choices": [{"message": {"content": content}}]})

    drafter = OpenAINoteDrafter(
        "http://llm.test/v1/",
        "llama-3.1-8b-instruct",
        "secret",
        aligner=EvidenceAligner(None),
        checker=checker,
        round_trip=_SwapRoundTrip,
        transport=httpx.MockTransport(handler),
    )
    draft = drafter.draft(TRANSCRIPT)
    [request] = requests
    assert str(request.url) == "http://llm.test/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer secret"
    body = json.loads(request.content)
    assert body["model"] == "llama-3.1-8b-instruct"
    assert "[DRUG]" in body["messages"][1]["content"]
    assert "ibuprofen" not in body["messages"][1]["content"]
    statuses = {s.text: s.status for s in draft.sentences()}
    assert statuses == {
        "Osteoarthritis of the left knee.": "supported",
        "Start warfarin.": "unsupported",
        "Continue ibuprofen.": "supported",
    }
    assert draft.provenance[0].parameters["deidentified"] is True


def test_openai_drafter_error_names_status_not_text(checker: FaithfulnessChecker) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(500, text="knee pain"))
    drafter = OpenAINoteDrafter(
        "http://llm.test/v1",
        "m",
        None,
        aligner=EvidenceAligner(None),
        checker=checker,
        transport=transport,
    )
    with pytest.raises(DraftingError, match="HTTP 500") as error:
        drafter.draft(TRANSCRIPT)
    assert "knee" not in str(error.value)


E2E_TRANSCRIPT = make_transcript(
    ("clinician", "Good morning. How have your blood pressure and your diabetes been?"),
    ("patient", "Not great. My sugars are high and I get headaches."),
    ("clinician", "Which medicines are you taking?"),
    ("patient", "Metformin 500 mg twice a day."),
    (
        "clinician",
        "Your blood pressure today is 152/94. I will adjust your medications and start "
        "something for your blood pressure.",
    ),
    ("clinician", "Come back in four weeks."),
)


def _invented(draft: Draft, transcript: Transcript) -> list[tuple[str, set[str]]]:
    lexicon = default_drug_lexicon()
    said = lexicon.generics(transcript.text)
    return [
        (sentence.text, lexicon.generics(sentence.text) - said)
        for sentence in draft.sentences()
        if lexicon.generics(sentence.text) - said
    ]


@pytest.mark.e2e
def test_smollm2_invented_medications_are_flagged(
    checker: FaithfulnessChecker, tmp_path_factory: pytest.TempPathFactory
) -> None:
    cache = tmp_path_factory.mktemp("llm-cache")
    model = resolve("bundled:smollm2-135m-instruct", setting="SCRIBE_LLM_MODEL", cache_dir=cache)
    invented_total = 0
    for seed in (0, 1, 2, 3):
        drafter = HfNoteDrafter(
            model.path,
            model_sha256=model.sha256,
            model_name=model.name,
            max_new_tokens=160,
            temperature=0.7,
            seed=seed,
            aligner=EvidenceAligner(None),
            checker=checker,
            cache_dir=cache,
        )
        draft = drafter.draft(E2E_TRANSCRIPT)
        assert draft.sentences(), "SmolLM2 wrote nothing"
        for text, drugs in _invented(draft, E2E_TRANSCRIPT):
            [sentence] = [s for s in draft.sentences() if s.text == text]
            assert sentence.status == "unsupported", text
            for drug in drugs:
                assert f"medication '{drug}' not mentioned in the transcript" in sentence.issues
            invented_total += len(drugs)
        if invented_total:
            break
    assert invented_total > 0, "SmolLM2 invented no medication in 4 sampled drafts"
