"""Plain-text views of a transcript and a note for the terminal."""

from __future__ import annotations

from scribe.contracts import Draft, Transcript


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes:02d}:{rest:02d}"


def render_transcript(transcript: Transcript) -> str:
    """One line per segment: [id] time speaker: text."""
    lines = ["TRANSCRIPT"]
    lines += [f"  [{s.id}] {_clock(s.start)} {s.speaker:<9} {s.text}" for s in transcript.segments]
    lines += [f"  notice: {notice}" for notice in transcript.notices]
    return "\n".join(lines)


def render_note(draft: Draft) -> str:
    """The note by section; each sentence with its evidence segment ids or UNSUPPORTED flag."""
    lines = [f"DRAFT NOTE ({draft.drafter})"]
    for section in draft.sections:
        if not section.sentences:
            continue
        lines.append(f"  {section.title.upper()}")
        for sentence in section.sentences:
            links = ",".join(str(item.segment_id) for item in sentence.evidence) or "-"
            flag = (
                ""
                if sentence.status == "supported"
                else "  [UNSUPPORTED: " + "; ".join(sentence.issues) + "]"
            )
            lines.append(f"    {sentence.text}  <segments {links}>{flag}")
    return "\n".join(lines)
