"""Generate synthetic visit transcripts with spoken PHI and gold spans (deterministic).

Writes tests/data/deid/spoken_transcripts.jsonl in the PhysioNet deid format used by
`scribe.deid.evaluation`: one JSON object per line with `note_id`, `text` and
`phi[{start, end, type, text}]` (end exclusive; types are the project's entity types).

Every name, place, number and address is invented here (about half of the names are not in the
de-identifier's name lists, so context rules are tested too). Each transcript also carries
clinical traps that must not be flagged: eponyms, drug names, doses, vitals, lab values, ages
under 90 and bare years.

    python scripts/make_spoken_phi_set.py [--count 48] [--seed 20261101] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

OUT = Path("tests/data/deid/spoken_transcripts.jsonl")


def _split(text: str, sep: str | None = None) -> list[str]:
    return [item.strip() for item in text.split(sep)]


FIRST = _split(
    "Maria James Thandiwe Oksana Darnell Marisol Ewan Priyanka Ruth Teodoro Gwendolyn Kwame "
    "Linnea Harold Soraya Bartholomew Yesenia Frank Ingrid Cornelius Dolores Abebe Rosalind "
    "Wendell"
)
LAST = _split(
    "Alvarez Okonkwo Vanterpool Szczepanik Brightwater Quennell Abernathy Delacroix-Mbeki "
    "Haverford Lindqvist Tamburello Featherstone Nakashima Oyelaran Pettigrew Castellanos "
    "Wojciechowski Kowalczyk Marchetti Greenhalgh Thistlethwaite Adebayo Rasmussen Cavendish"
)
TOWNS = _split(
    "Millbrook Falls|Cedar Hollow|Port Ellery|Towson|Glen Burnie|Severna Park|Ashford Mills|"
    "Brookhaven Heights|Dundalk|Catonsville",
    "|",
)
STREETS = _split(
    "Maple Street|Birch Lane|Harbor View Road|Old Mill Drive|Ridgeway Avenue|Chestnut Court|"
    "Quarry Hill Road|Linden Terrace",
    "|",
)
FACILITIES = _split(
    "Riverside Regional Medical Center|St. Agnes Hospital|Brookdale Family Clinic|"
    "Lakeshore Rehabilitation Center|Mercy General Hospital|Harborview Nursing Home",
    "|",
)
MONTHS = _split(
    "January February March April May June July August September October November December"
)
ORDINALS = _split(
    "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
    "thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|"
    "twenty first|twenty second|twenty third|twenty fourth|twenty fifth|twenty sixth|"
    "twenty seventh|twenty eighth",
    "|",
)
DIGITS = _split("zero one two three four five six seven eight nine")
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
UNITS = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEENS = _split("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen")
MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
TRAPS = [
    "I was diagnosed with Parkinson's disease a few years back.",
    "They treated my Hodgkin lymphoma in 2015 and it has not come back.",
    "My Crohn's disease has been quiet since I started the new infusion.",
    "I take Lasix forty milligrams every morning and Eliquis five milligrams twice a day.",
    "Your blood pressure today is one thirty two over eighty four and heart rate seventy two.",
    "The A1c came back at seven point two and potassium was four point one.",
    "I had Bell's palsy on the left side of my face in 2019.",
    "We checked for Graves disease and the thyroid tests were normal.",
    "The Foley catheter came out on the second day after surgery.",
    "I'm seventy two and I still walk two miles a day.",
    "Let's increase the metformin to one thousand milligrams twice daily.",
    "Your weight is one hundred eighty pounds and oxygen saturation ninety seven percent.",
    "Doctor, is the Alzheimer's medicine safe with my Zoloft?",
    "We will repeat the BMP and the CBC in three months.",
]


class Builder:
    """Accumulates transcript text and the gold spans of the pieces marked as PHI."""

    def __init__(self) -> None:
        self.text = ""
        self.phi: list[dict[str, object]] = []

    def add(self, *pieces: str | tuple[str, str]) -> None:
        """Append plain strings and (entity, value) pairs; pairs become gold spans."""
        for piece in pieces:
            if isinstance(piece, tuple):
                entity, value = piece
                start = len(self.text)
                self.text += value
                self.phi.append(
                    {"start": start, "end": len(self.text), "type": entity, "text": value}
                )
            else:
                self.text += piece

    def turn(self, speaker: str, *pieces: str | tuple[str, str]) -> None:
        """One line of dialogue: "[doctor] ..." or "[patient] ..."."""
        if self.text:
            self.text += "\n"
        self.add(f"[{speaker}] ", *pieces)


def two_digit_words(value: int) -> str:
    if value < 10:
        return DIGITS[value]
    if value < 20:
        return TEENS[value - 10]
    return TENS[value // 10] + (f" {UNITS[value % 10]}" if value % 10 else "")


def spoken_year(year: int) -> str:
    return f"nineteen {two_digit_words(year % 100)}"


def digit_words(digits: str, rng: random.Random) -> str:
    sep = rng.choice([" ", ", ", " "])
    groups = (
        [digits[:3], digits[3:6], digits[6:]] if len(digits) == 10 else [digits[:3], digits[3:]]
    )
    return sep.join(" ".join(DIGITS[int(d)] for d in group) for group in groups)


def mbi(rng: random.Random) -> str:
    def letter() -> str:
        return rng.choice(MBI_LETTERS)

    return (
        f"{rng.randint(1, 9)}{letter()}{letter()}{rng.randint(0, 9)}-{letter()}{letter()}"
        f"{rng.randint(0, 9)}-{letter()}{letter()}{rng.randint(0, 9)}{rng.randint(0, 9)}"
    )


def opening(b: Builder, rng: random.Random, people: dict[str, str]) -> None:
    b.turn(
        "doctor",
        "Good morning, I'm Doctor ",
        ("PERSON", people["doctor"]),
        ". Can you tell me your full name and date of birth?",
    )
    month, day, year = rng.choice(MONTHS), rng.randrange(len(ORDINALS)), rng.randint(1925, 1958)
    style = rng.randrange(3)
    if style == 0:
        dob = f"{month} {ORDINALS[day]} {spoken_year(year)}"
    elif style == 1:
        dob = f"the {ORDINALS[day]} of {month}, {spoken_year(year)}"
    else:
        dob = f"{MONTHS.index(month) + 1}/{day + 1}/{year % 100:02d}"
    b.turn(
        "patient",
        "Sure, it's ",
        ("PERSON", people["patient"]),
        ", and my birthday is ",
        ("DATE", dob),
        ".",
    )


def contact_turns(b: Builder, rng: random.Random, people: dict[str, str]) -> None:
    phone = f"{rng.choice(['410', '443', '301', '667'])}555{rng.randint(0, 9999):04d}"
    if rng.random() < 0.7:
        spoken = digit_words(phone, rng)
    else:
        spoken = f"({phone[:3]}) {phone[3:6]}-{phone[6:]}"
    b.turn("doctor", "What is the best number to reach you?")
    b.turn(
        "patient",
        "My cell is ",
        ("PHONE", spoken),
        ", or call my daughter ",
        ("PERSON", people["relative"]),
        ".",
    )
    number, town = rng.randint(10, 98) * 100 + rng.randint(10, 99), rng.choice(TOWNS)
    street = rng.choice(STREETS)
    if rng.random() < 0.5:
        address = f"{number} {street}"
    else:
        address = f"{two_digit_words(number // 100)} {two_digit_words(number % 100)} {street}"
    b.turn(
        "patient",
        "We moved, I live at ",
        ("STREET_ADDRESS", address),
        " in ",
        ("LOCATION", town),
        " now, zip code ",
        ("ZIP_CODE", f"2{rng.randint(1000, 1999)}"),
        ".",
    )


def identifier_turns(b: Builder, rng: random.Random) -> None:
    mrn = "".join(str(rng.randint(0, 9)) for _ in range(rng.choice([7, 8])))
    mrn_text = " ".join(DIGITS[int(d)] for d in mrn) if rng.random() < 0.5 else mrn
    b.turn(
        "doctor", "For the chart, your medical record number is ", ("MRN", mrn_text), ", correct?"
    )
    b.turn(
        "patient",
        "Yes. And my Medicare number is ",
        ("HEALTH_PLAN_ID", mbi(rng)),
        " if you need it for the forms.",
    )
    user = rng.choice(["maria", "jim", "rosalind", "kwame", "soraya", "teo"])
    domain = rng.choice(["gmail", "yahoo", "outlook"])
    if rng.random() < 0.5:
        email = f"{user}.{rng.randint(10, 99)}@{domain}.com"
    else:
        email = f"{user} dot {rng.choice(LAST).lower()} at {domain} dot com"
    b.turn("patient", "You can email the results to ", ("EMAIL", email), ".")


def family_turns(b: Builder, rng: random.Random, people: dict[str, str]) -> None:
    age = rng.randint(90, 104)
    if age < 100:
        age_words = f"ninety {UNITS[age - 90]}".strip()
    else:
        age_words = f"a hundred and {UNITS[age - 100]}" if age > 100 else "a hundred"
    b.turn("doctor", "Who is at home with you?")
    b.turn(
        "patient",
        "My husband ",
        ("PERSON", people["spouse"]),
        " and my mother, she is ",
        ("AGE", age_words if rng.random() < 0.6 else str(age)),
        " years old now.",
    )
    b.turn("doctor", "When did you last see Doctor ", ("PERSON", people["specialist"]), "?")
    month = rng.choice(MONTHS)
    b.turn(
        "patient",
        "On ",
        ("DATE", f"{month} {ORDINALS[rng.randrange(len(ORDINALS))]}"),
        ", at ",
        ("FACILITY", rng.choice(FACILITIES)),
        ".",
    )


def misc_turns(b: Builder, rng: random.Random, people: dict[str, str]) -> None:
    b.turn(
        "patient",
        ("PERSON", rng.choice(FIRST)),
        " usually drives me here, and the pharmacy in ",
        ("LOCATION", rng.choice(TOWNS)),
        " has my prescriptions.",
    )
    month = rng.choice(MONTHS)
    b.turn(
        "doctor",
        "I see you were admitted on ",
        ("DATE", f"{month} {ORDINALS[rng.randrange(len(ORDINALS))]}"),
        " and discharged on the ",
        ("DATE", ORDINALS[rng.randrange(len(ORDINALS))]),
        ".",
    )
    ssn = "".join(str(rng.randint(0, 9)) for _ in range(9))
    spoken = " ".join(DIGITS[int(d)] for d in ssn)
    zip_code = f"2{rng.randint(1000, 1999)}"
    b.turn(
        "patient",
        "For the insurance form my social is ",
        ("SSN", spoken),
        " and the zip code is ",
        ("ZIP_CODE", " ".join(DIGITS[int(d)] for d in zip_code)),
        ".",
    )


def build_transcript(index: int, rng: random.Random) -> dict[str, object]:
    people = {
        "doctor": rng.choice(LAST),
        "patient": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "relative": rng.choice(FIRST),
        "spouse": rng.choice(FIRST),
        "specialist": rng.choice(LAST),
    }
    b = Builder()
    opening(b, rng, people)
    sections = [contact_turns, identifier_turns, family_turns, misc_turns]
    rng.shuffle(sections)
    traps = rng.sample(TRAPS, 5)
    for section, trap in zip(sections, traps, strict=False):
        b.turn("doctor", "How have you been doing?")
        b.turn("patient", trap)
        if section is identifier_turns:
            section(b, rng)
        else:
            section(b, rng, people)  # type: ignore[call-arg]
    b.turn("doctor", traps[-1])
    b.turn(
        "doctor",
        "Thank you, ",
        ("PERSON", people["patient"].split()[0]),
        ". The nurse will bring your papers.",
    )
    return {"note_id": index, "text": b.text, "phi": b.phi}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the spoken-PHI transcript set.")
    parser.add_argument("--count", type=int, default=48)
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for index in range(1, args.count + 1):
            handle.write(json.dumps(build_transcript(index, rng)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
