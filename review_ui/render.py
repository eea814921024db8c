"""Plain-text views of a transcript and a note for the terminal."""

from __future__ import annotations

from collections.abc import Sequence

from coding.contracts import Suggestion, SuggestionReport
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


def render_suggestions(report: SuggestionReport) -> str:
    """The report header, then one block per suggestion."""
    header = (
        f"HCC SUGGESTIONS (code set {report.code_set_year}, payment year "
        f"{report.payment_year}; RAF V28 {_score(report.raf_before_v28)} -> "
        f"{_score(report.raf_after_v28)}, V24 {_score(report.raf_before_v24)} -> "
        f"{_score(report.raf_after_v24)})"
    )
    lines = [header, *render_suggestion_list(report.suggestions)]
    lines += [f"  notice: {notice}" for notice in report.notices]
    return "\n".join(lines)


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def render_suggestion_list(suggestions: Sequence[Suggestion]) -> list[str]:
    """One block per suggestion: kind, code, HCCs, RAF delta, evidence, MEAT, query."""
    lines = []
    for item in suggestions:
        hccs = f"V28 {','.join(item.hcc_v28) or '-'} / V24 {','.join(item.hcc_v24) or '-'}"
        lines.append(
            f"  [{item.kind}] {item.icd10 or '-'} {item.description} ({hccs}; "
            f"RAF delta V28 {_score(item.raf_delta_v28)})"
        )
        lines += [f'      evidence ({e.source} {e.ref}): "{e.quote}"' for e in item.evidence[:3]]
        if item.meat:
            lines.append("      MEAT: " + ", ".join(f"{m.kind}:{m.cue}" for m in item.meat))
        if item.query_text:
            lines.append(f"      query: {item.query_text}")
    return lines
