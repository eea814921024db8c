"""EvidenceAligner: lexical and semantic links from free-text sentences to transcript sentences."""

from __future__ import annotations

import numpy as np
import pytest

from scribe.drafting import EvidenceAligner, SentenceEmbedder
from tests.scribe.drafting.transcripts import make_transcript

TRANSCRIPT = make_transcript(
    ("clinician", "What medicines are you on? Any side effects?"),  # 0
    ("patient", "I take metformin 1000 milligrams twice a day. No side effects."),  # 1
    ("patient", "Honestly I've been exhausted all the time, I can barely get off the couch."),  # 2
    ("clinician", "Your knee x-ray shows mild arthritis on the left side."),  # 3
)


def test_lexical_link_quotes_the_matching_sentence() -> None:
    aligner = EvidenceAligner(None)
    [evidence] = aligner.align(["Metformin 1000 mg twice daily."], TRANSCRIPT)
    assert evidence, "expected a lexical link"
    best = evidence[0]
    assert (best.segment_id, best.method) == (1, "lexical")
    assert best.quote == "I take metformin 1000 milligrams twice a day."
    assert best.quote in TRANSCRIPT.segments[1].text
    assert 0.5 <= best.score <= 1.0


def test_unrelated_sentence_gets_no_lexical_link() -> None:
    aligner = EvidenceAligner(None)
    assert aligner.align(["The weather in Paris was lovely."], TRANSCRIPT) == [()]


def test_thresholds_and_top_k_are_respected() -> None:
    aligner = EvidenceAligner(None, top_k=1, lexical_threshold=0.0)
    [evidence] = aligner.align(["Knee x-ray shows mild arthritis."], TRANSCRIPT)
    assert len(evidence) == 1
    assert evidence[0].segment_id == 3
    strict = EvidenceAligner(None, lexical_threshold=1.01)
    assert strict.align(["Knee x-ray shows mild arthritis."], TRANSCRIPT) == [()]


def test_empty_inputs() -> None:
    aligner = EvidenceAligner(None)
    assert aligner.align([], TRANSCRIPT) == []
    assert aligner.align(["Anything."], make_transcript()) == [()]


class CountingEmbedder(SentenceEmbedder):
    """The real embedder, counting how many texts it embeds."""

    calls: list[int]

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.calls.append(len(texts))
        return super().embed(texts)


@pytest.fixture(scope="module")
def counting(embedder: SentenceEmbedder) -> CountingEmbedder:
    counting = CountingEmbedder(embedder.model_dir, sha256=embedder.sha256)
    counting.calls = []
    return counting


def test_embeddings_are_unit_length(embedder: SentenceEmbedder) -> None:
    vectors = embedder.embed(["Chest pain on exertion.", "No chest pain."])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_semantic_link_finds_a_paraphrase(counting: CountingEmbedder) -> None:
    aligner = EvidenceAligner(counting, lexical_threshold=0.99, semantic_threshold=0.3)
    [evidence] = aligner.align(["The patient feels exhausted all the time."], TRANSCRIPT)
    semantic = [e for e in evidence if e.method == "semantic"]
    assert semantic and semantic[0].segment_id == 2
    assert semantic[0].quote in TRANSCRIPT.segments[2].text


def test_segments_are_embedded_once_per_transcript(counting: CountingEmbedder) -> None:
    aligner = EvidenceAligner(counting)
    counting.calls.clear()
    aligner.align(["Fatigue."], TRANSCRIPT)
    aligner.align(["Metformin twice daily.", "Left knee arthritis."], TRANSCRIPT)
    # one call for the transcript's 6 sentences, then one per align() for the note sentences
    assert counting.calls == [6, 1, 2]
