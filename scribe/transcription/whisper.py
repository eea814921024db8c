"""The faster-whisper (CTranslate2) adapter of the `Transcriber` protocol.

The model loads on first use, once per instance, from a local directory only. Decoding uses
Silero VAD, word timestamps and a prompt built from the clinical vocabulary and the patient's own
terms; segments are rebuilt from the word timestamps and given speaker roles.

Defaults come from `scripts/bench_transcription.py` on the shipped sample and eight ACI-BENCH
excerpts rendered with espeak-ng (tiny.en, int8, 2 threads): the batched pipeline is faster than
sequential decoding once warm and, with no temperature fallback, deterministic; in it `hotwords`
and `initial_prompt` fill the same prompt slot (they differ by one leading space) and scored
alike, while in sequential decoding `hotwords` triggered slow temperature fallbacks.
`initial_prompt` is the default because it behaves well in both.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from scribe.audio import SAMPLE_RATE, is_silent
from scribe.contracts import Provenance, Segment, Transcript, Word
from scribe.transcription.segmentation import TimedWord, split_words
from scribe.transcription.speakers import SpeakerCues, label_segments, load_speaker_cues
from scribe.transcription.vocabulary import (
    DEFAULT_HOTWORD_CHARS,
    ClinicalVocabulary,
    build_hotwords,
)
from scribe.version import code_version

__all__ = ["NO_SPEECH_NOTICE", "Biasing", "FasterWhisperTranscriber"]

logger = logging.getLogger(__name__)

NO_SPEECH_NOTICE = "no speech detected"
_MAX_COMPRESSION_RATIO = 2.4
Biasing = Literal["hotwords", "initial_prompt", "none"]


class FasterWhisperTranscriber:
    """Transcribes 16 kHz mono float32 audio with a local faster-whisper model."""

    def __init__(
        self,
        model_path: Path,
        *,
        model_sha256: str,
        model_name: str,
        vocabulary: ClinicalVocabulary,
        speaker_cues: SpeakerCues | None = None,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        beam_size: int = 1,
        batched: bool = True,
        batch_size: int = 8,
        biasing: Biasing = "initial_prompt",
        max_hotword_chars: int = DEFAULT_HOTWORD_CHARS,
        language: str = "en",
    ) -> None:
        self._model_path = model_path
        self._model_sha256 = model_sha256
        self._model_name = model_name
        self._vocabulary = vocabulary
        self._cues = speaker_cues or load_speaker_cues()
        self._device = device
        self._compute_type = compute_type
        self._cpu_threads = cpu_threads
        self._beam_size = beam_size
        self._batched = batched
        self._batch_size = batch_size
        self._biasing = biasing
        self._max_hotword_chars = max_hotword_chars
        self._language = language
        self._engine: Any = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded (it loads on the first transcription)."""
        return self._engine is not None

    def transcribe(self, audio: np.ndarray, *, hotwords: tuple[str, ...] = ()) -> Transcript:
        """Transcribe `audio`; `hotwords` (the patient's medications and problems) bias decoding.

        Silence gives an empty transcript with the notice "no speech detected".
        """
        samples = _as_samples(audio)
        duration = samples.size / SAMPLE_RATE
        prompt = build_hotwords(self._vocabulary, hotwords, max_chars=self._max_hotword_chars)
        provenance = self._provenance(prompt, len(hotwords))
        if is_silent(samples):
            logger.info("transcription skipped: silent audio seconds=%.1f", duration)
            return Transcript(
                segments=(), duration=duration, notices=(NO_SPEECH_NOTICE,), provenance=provenance
            )
        started = time.perf_counter()
        words = self._recognise(samples, prompt)
        transcript = self._transcript(words, samples, provenance)
        logger.info(
            "transcribed: seconds=%.1f segments=%d words=%d elapsed=%.2f",
            duration,
            len(transcript.segments),
            len(words),
            time.perf_counter() - started,
        )
        return transcript

    def transcribe_words(
        self, audio: np.ndarray, *, offset_seconds: float = 0.0, hotwords: tuple[str, ...] = ()
    ) -> list[TimedWord]:
        """The recognised words of `audio` (a window of a longer recording starting at
        `offset_seconds`), timed in the recording's seconds; silence gives no words."""
        samples = _as_samples(audio)
        if is_silent(samples):
            return []
        prompt = build_hotwords(self._vocabulary, hotwords, max_chars=self._max_hotword_chars)
        return [
            TimedWord(w.text, w.start + offset_seconds, w.end + offset_seconds, w.probability)
            for w in self._recognise(samples, prompt)
        ]

    def assemble(
        self, words: Sequence[TimedWord], audio: np.ndarray, *, hotwords: tuple[str, ...] = ()
    ) -> Transcript:
        """The transcript of the whole recording `audio` from words recognised window by window
        (`transcribe_words`): segments, speaker roles and provenance as `transcribe` makes them."""
        samples = _as_samples(audio)
        prompt = build_hotwords(self._vocabulary, hotwords, max_chars=self._max_hotword_chars)
        return self._transcript(list(words), samples, self._provenance(prompt, len(hotwords)))

    def _transcript(
        self, words: list[TimedWord], samples: np.ndarray, provenance: tuple[Provenance, ...]
    ) -> Transcript:
        segments = self._segments(words, samples)
        return Transcript(
            segments=segments,
            language=self._language,
            duration=samples.size / SAMPLE_RATE,
            notices=() if segments else (NO_SPEECH_NOTICE,),
            provenance=provenance,
        )

    def _recognise(self, samples: np.ndarray, prompt: str) -> list[TimedWord]:
        engine = self._load()
        options: dict[str, Any] = {
            "language": self._language,
            "beam_size": self._beam_size,
            "vad_filter": True,
            "word_timestamps": True,
        }
        if self._batched:
            options["batch_size"] = self._batch_size
        if prompt and self._biasing != "none":
            options[self._biasing] = prompt
        raw_segments, _info = engine.transcribe(samples, **options)
        words: list[TimedWord] = []
        redone = 0
        for segment in raw_segments:
            if _degenerate(segment.text) and (self._biasing in options):
                # A prompt can send tiny models into a repetition loop: decode that stretch again
                # without it (sequential decoding falls back on temperature, batched does not).
                redone += 1
                words.extend(self._redo_without_prompt(engine, samples, segment, options))
            else:
                words.extend(_timed_words([segment]))
        if redone:
            logger.warning("re-decoded %d repetitive chunk(s) without the prompt", redone)
        return words

    def _redo_without_prompt(
        self, engine: Any, samples: np.ndarray, segment: Any, options: dict[str, Any]
    ) -> list[TimedWord]:
        plain = {key: value for key, value in options.items() if key != self._biasing}
        # Whisper may time a segment past the end of the audio (seen at a window's end); a clip
        # beyond it makes faster-whisper fail an assertion, so keep the clip inside the audio.
        duration = samples.size / SAMPLE_RATE
        start, end = min(max(segment.start, 0.0), duration), min(segment.end, duration)
        if end <= start:
            return []
        if self._batched:
            plain["clip_timestamps"] = [{"start": start, "end": end}]
        else:
            plain["clip_timestamps"] = [start, end]
        again, _info = engine.transcribe(samples, **plain)
        return _timed_words(again)

    def _segments(self, words: list[TimedWord], samples: np.ndarray) -> tuple[Segment, ...]:
        segments: list[Segment] = []
        for group in split_words(words):
            text = "".join(word.text for word in group).strip()
            if not text:
                continue
            segments.append(
                Segment(
                    id=len(segments),
                    start=round(group[0].start, 3),
                    end=round(group[-1].end, 3),
                    text=text,
                    words=tuple(_word(word) for word in group if word.text.strip()),
                )
            )
        return label_segments(segments, cues=self._cues, audio=samples)

    def _load(self) -> Any:
        """Load the model once per instance (heavy imports stay inside the adapter)."""
        with self._lock:
            if self._engine is None:
                from faster_whisper import BatchedInferencePipeline, WhisperModel

                started = time.perf_counter()
                model = WhisperModel(
                    str(self._model_path),
                    device=self._device,
                    compute_type=self._compute_type,
                    cpu_threads=self._cpu_threads,
                    local_files_only=True,
                )
                self._engine = BatchedInferencePipeline(model) if self._batched else model
                logger.info(
                    "whisper model loaded: name=%s seconds=%.2f",
                    self._model_name,
                    time.perf_counter() - started,
                )
            return self._engine

    def _provenance(self, prompt: str, patient_terms: int) -> tuple[Provenance, ...]:
        parameters = {
            "device": self._device,
            "compute_type": self._compute_type,
            "cpu_threads": self._cpu_threads,
            "beam_size": self._beam_size,
            "pipeline": "batched" if self._batched else "sequential",
            "batch_size": self._batch_size if self._batched else None,
            "vad_filter": True,
            "word_timestamps": True,
            "language": self._language,
            "biasing": self._biasing,
            "hotword_chars": len(prompt),
            "patient_terms": patient_terms,
            # A digest, not the text: the prompt holds the patient's medications.
            "hotwords_sha256": hashlib.sha256(prompt.encode()).hexdigest() if prompt else None,
        }
        return (
            Provenance(
                component="transcription",
                model_name=self._model_name,
                model_sha256=self._model_sha256,
                rules_version=f"clinical-vocabulary {self._vocabulary.version}",
                code_version=code_version(),
                parameters=parameters,
            ),
            Provenance(
                component="speaker-roles",
                rules_version=f"speaker-cues {self._cues.version}",
                code_version=code_version(),
                parameters={
                    "switch_probability": self._cues.segment_switch_probability,
                    "voice_weight": self._cues.voice_weight,
                },
            ),
        )


def _as_samples(audio: Any) -> np.ndarray:
    samples = np.asarray(audio, dtype=np.float32)
    if samples.ndim != 1:
        raise ValueError(f"expected mono samples (1-D), got shape {samples.shape}")
    return samples


def _timed_words(segments: Iterable[Any]) -> list[TimedWord]:
    return [
        TimedWord(word.word, float(word.start), float(word.end), float(word.probability))
        for segment in segments
        for word in (segment.words or ())
    ]


def _degenerate(text: str) -> bool:
    """Whisper's own test for a repetition loop: text that zlib compresses more than 2.4:1."""
    data = text.strip().encode("utf-8")
    return len(data) > 40 and len(data) / len(zlib.compress(data)) > _MAX_COMPRESSION_RATIO


def _word(word: TimedWord) -> Word:
    return Word(
        text=word.text.strip(),
        start=round(word.start, 3),
        end=round(word.end, 3),
        probability=round(word.probability, 4),
    )
