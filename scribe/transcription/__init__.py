"""Speech to transcript: the Whisper adapter, the clinical vocabulary and speaker roles."""

from scribe.transcription.speakers import SpeakerCues, label_segments, load_speaker_cues
from scribe.transcription.vocabulary import (
    ClinicalVocabulary,
    VocabularyError,
    build_hotwords,
    load_vocabulary,
    patient_terms,
)
from scribe.transcription.whisper import NO_SPEECH_NOTICE, FasterWhisperTranscriber

__all__ = [
    "NO_SPEECH_NOTICE",
    "ClinicalVocabulary",
    "FasterWhisperTranscriber",
    "SpeakerCues",
    "VocabularyError",
    "build_hotwords",
    "label_segments",
    "load_speaker_cues",
    "load_vocabulary",
    "patient_terms",
]
