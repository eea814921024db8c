"""Codes the note supports: findings with at least one MEAT element, then combination codes.

Only note findings can be supported. Transcript, medication, lab and prior-year evidence never
reaches this module, which is how "labs and medications alone never produce `supported`" holds.
"""

from __future__ import annotations

from coding.combine import CodedItem, apply_combinations, note_value_items
from coding.encounter import Encounter
from coding.findings import Finding, resolve_dm
from coding.meat import MeatFinder


def build_supported(encounter: Encounter, meat: MeatFinder) -> dict[str, list[Finding]]:
    """Fill `encounter.items`; return the note findings without MEAT by family.

    Families that end up supported by another mention are left out of the returned mapping.
    """
    note = encounter.note
    if note is None:
        return {}
    by_code: dict[str, CodedItem] = {}
    unaddressed: dict[str, list[Finding]] = {}
    for finding in note.live_findings():
        cues = meat.cues(finding.mention, note.analysis)
        if not cues:
            unaddressed.setdefault(finding.family, []).append(finding)
            continue
        for code in finding.codes:
            concrete = resolve_dm(code, encounter.dm)
            item = by_code.setdefault(
                concrete, CodedItem(concrete, finding.rule.rule_id, finding.family, finding.label)
            )
            item.findings.append(finding)
            item.cues.extend(cue for cue in cues if cue not in item.cues)
    items = list(by_code.values())
    age = encounter.patient.age if encounter.patient else None
    items.extend(note_value_items(note.analysis, items, encounter.rules, age))
    encounter.items = apply_combinations(items, encounter.rules, encounter.dm)
    supported = encounter.supported_families()
    return {family: found for family, found in unaddressed.items() if family not in supported}
