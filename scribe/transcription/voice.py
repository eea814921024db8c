"""A cheap voice cue: median pitch per segment, and a two-voice split when pitches clearly differ.

This is not diarisation: it only says which segments sound like the same one of two voices, and
only when the two pitch groups are far apart (e.g. a low and a high voice). Which voice is the
clinician is still decided by the words (see `speakers`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from scribe.audio import SAMPLE_RATE

__all__ = ["segment_pitches", "two_voice_split"]

_FRAME = 640  # 40 ms
_HOP = 320  # 20 ms
_FFT = 2048
_MIN_HZ, _MAX_HZ = 60.0, 400.0
_VOICED_CORRELATION = 0.5
_MIN_RMS = 10 ** (-45 / 20)
_MIN_VOICED_FRAMES = 5
_MIN_SEMITONES_APART = 4.0
_MIN_SEPARATION = 2.5


def segment_pitches(
    samples: np.ndarray, spans: Sequence[tuple[float, float]]
) -> list[float | None]:
    """Median fundamental frequency (Hz) of the voiced frames of each (start, end) span."""
    pitches: list[float | None] = []
    for start, end in spans:
        first = max(int(start * SAMPLE_RATE), 0)
        last = min(int(end * SAMPLE_RATE), samples.size)
        pitches.append(_median_pitch(samples[first:last]))
    return pitches


def two_voice_split(pitches: Sequence[float | None]) -> list[int | None] | None:
    """Group label (0 low voice, 1 high voice) per segment, or None when no clear two voices.

    Two groups count as clear when their centres are at least 4 semitones apart and that
    distance is 2.5 times the spread inside the groups. Segments without a pitch get None.
    """
    known = [(index, 12 * np.log2(p)) for index, p in enumerate(pitches) if p]
    if len(known) < 4:
        return None
    values = np.array([value for _, value in known])
    low, high = float(values.min()), float(values.max())
    for _ in range(20):
        labels = np.abs(values - low) > np.abs(values - high)
        if labels.all() or not labels.any():
            return None
        low, high = float(values[~labels].mean()), float(values[labels].mean())
    spread = float(np.sqrt(np.mean((values - np.where(labels, high, low)) ** 2))) + 0.5
    if high - low < _MIN_SEMITONES_APART or (high - low) / spread < _MIN_SEPARATION:
        return None
    groups: list[int | None] = [None] * len(pitches)
    for (index, _), label in zip(known, labels, strict=True):
        groups[index] = int(label)
    return groups


def _median_pitch(chunk: np.ndarray) -> float | None:
    if chunk.size < _FRAME:
        return None
    count = 1 + (chunk.size - _FRAME) // _HOP
    frames = np.lib.stride_tricks.sliding_window_view(chunk, _FRAME)[::_HOP][:count]
    frames = frames - frames.mean(axis=1, keepdims=True)
    loud = np.sqrt(np.mean(frames**2, axis=1)) > _MIN_RMS
    if loud.sum() < _MIN_VOICED_FRAMES:
        return None
    spectrum = np.fft.rfft(frames[loud] * np.hanning(_FRAME), n=_FFT)
    correlation = np.fft.irfft(np.abs(spectrum) ** 2, n=_FFT)[:, : _FRAME // 2]
    correlation /= np.maximum(correlation[:, :1], 1e-12)
    lo, hi = int(SAMPLE_RATE / _MAX_HZ), int(SAMPLE_RATE / _MIN_HZ)
    lags = lo + np.argmax(correlation[:, lo:hi], axis=1)
    peaks = correlation[np.arange(lags.size), lags]
    voiced = peaks > _VOICED_CORRELATION
    if voiced.sum() < _MIN_VOICED_FRAMES:
        return None
    return float(np.median(SAMPLE_RATE / lags[voiced]))
