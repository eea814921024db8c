"""PhiLogFilter with canary PHI: nothing identifying reaches the log output."""

from __future__ import annotations

import io
import logging
import time

import pytest

from scribe.deid import LogScrubber, PhiLogFilter

CANARIES = {
    "name": "Dr. Quennell Vanterpool",
    "phone": "410-555-0142",
    "ssn": "123-45-6789",
    "email": "canary.patient@example.com",
    "mrn": "MRN 00482913",
    "dob": "DOB 03/14/1952",
    "mbi": "1EG4-TE5-MK73",
    "address": "19 Clover Street",
    "spoken": "five five five one two one two",
}
SECRETS = [
    "Vanterpool",
    "Quennell",
    "555-0142",
    "6789",
    "canary.patient",
    "00482913",
    "03/14/1952",
    "MK73",
    "Clover",
    "five five five one",
]


@pytest.fixture()
def captured() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(PhiLogFilter())
    logger = logging.getLogger("tests.deid.canary")
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_canaries_in_message_and_args_are_scrubbed(captured) -> None:
    logger, stream = captured
    logger.info("patient %s phone %s ssn %s", CANARIES["name"], CANARIES["phone"], CANARIES["ssn"])
    logger.warning("record " + " | ".join(CANARIES.values()))
    logger.error("context: %(email)s %(mrn)s", {"email": CANARIES["email"], "mrn": CANARIES["mrn"]})
    output = stream.getvalue()
    for secret in SECRETS:
        assert secret not in output, f"{secret!r} leaked into the log: {output}"
    assert "[PHONE]" in output and "[SSN]" in output and "[NAME]" in output


def test_exception_text_is_scrubbed(captured) -> None:
    logger, stream = captured
    try:
        raise ValueError(f"could not parse note for {CANARIES['name']}, {CANARIES['dob']}")
    except ValueError:
        logger.exception("job 7 failed")
    output = stream.getvalue()
    assert "job 7 failed" in output and "ValueError" in output
    assert "Vanterpool" not in output and "03/14/1952" not in output


def test_plain_records_are_unchanged(captured) -> None:
    logger, stream = captured
    logger.info("job %d claimed by worker %s after %.1f s", 42, "w-1", 0.5)
    assert stream.getvalue().strip() == "job 42 claimed by worker w-1 after 0.5 s"


def test_filter_keeps_every_record() -> None:
    record = logging.LogRecord("x", logging.INFO, "p", 1, "call %s", ("410-555-0142",), None)
    assert PhiLogFilter().filter(record) is True
    assert record.getMessage() == "call [PHONE]"


def test_scrubber_is_cheap() -> None:
    scrubber = LogScrubber()
    message = "job 42 claimed by worker w-1 for encounter 9a7f after 0.5 s"
    started = time.perf_counter()
    for _ in range(500):
        scrubber.scrub(message)
    per_record = (time.perf_counter() - started) / 500
    assert per_record < 0.002  # a generous bound for a shared CI machine
