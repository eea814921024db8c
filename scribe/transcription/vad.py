"""Where speech is in a stretch of audio: Silero VAD as faster-whisper ships it.

Live transcription cuts a recording into windows at pauses found here, so that no window
starts or ends inside a word. The options are the ones faster-whisper's batched pipeline uses
to cut a whole file into its 30-second chunks (a pause is at least 160 ms; speech longer than
the window is split at its last short silence), without the padding it adds around speech,
so that the gaps between spans are the pauses themselves.
"""

from __future__ import annotations

import numpy as np

from scribe.audio import SAMPLE_RATE

__all__ = ["MIN_PAUSE_MS", "silero_speech_spans"]

MIN_PAUSE_MS = 160


def silero_speech_spans(
    samples: np.ndarray, *, max_span_seconds: float
) -> list[tuple[float, float]]:
    """(start, end) seconds of speech in 16 kHz mono `samples`, from the start of `samples`;
    no span is longer than `max_span_seconds`."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if samples.size == 0:
        return []
    options = VadOptions(
        min_silence_duration_ms=MIN_PAUSE_MS,
        speech_pad_ms=0,
        max_speech_duration_s=max_span_seconds,
    )
    spans = get_speech_timestamps(np.asarray(samples, dtype=np.float32), options)
    return [(span["start"] / SAMPLE_RATE, span["end"] / SAMPLE_RATE) for span in spans]
