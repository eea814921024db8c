"""`scribe deid FILE` on bad input: a one-line error naming the file, exit status 2, no traceback.

Most cases run `main()` in this process with the session's de-identifier (building one per call
would cost seconds); one case runs the real `scribe` command in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from review_ui import cli, composition
from scribe.deid.engine import PresidioDeidentifier

BAD_INPUTS = {
    "empty.txt": (b"", "nothing to de-identify: the text is empty"),
    "blank.txt": (b"  \n\t\n", "nothing to de-identify: the text is empty"),
    "binary.bin": (b"\x00\x01\x02PK\x03\x04" + bytes(range(32)) * 20, "binary data"),
    "latin1.txt": ("Café, Dr. Okafor".encode("latin-1"), "not UTF-8 text"),
    "utf16.txt": ("Dr. Okafor".encode("utf-16"), "not UTF-8 text"),
}


@pytest.fixture
def run_deid(
    monkeypatch: pytest.MonkeyPatch,
    deidentifier: PresidioDeidentifier,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setattr(composition, "models_in_use", lambda settings: [])
    monkeypatch.setattr(composition, "build_deidentifier", lambda used: deidentifier)

    def run(*args: str) -> tuple[int, str, str]:
        status = cli.main(["deid", *args])
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_a_clear_error(run_deid, tmp_path: Path, name: str) -> None:
    content, reason = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(content)
    status, out, err = run_deid(str(path), "--json")
    assert status == 2
    assert out == ""
    assert err.startswith(f"scribe: error: {path}: ") and reason in err, err
    assert err.count(str(path)) == 1 and "Traceback" not in err


def test_missing_file(run_deid, tmp_path: Path) -> None:
    path = tmp_path / "nope.txt"
    status, out, err = run_deid(str(path))
    assert (status, out) == (2, "")
    assert err == f"scribe: error: {path}: no such file\n"


def test_file_over_the_byte_limit(run_deid, tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"word " * (cli.DEID_MAX_FILE_BYTES // 5 + 1))
    status, out, err = run_deid(str(path))
    assert (status, out) == (2, "")
    assert f"the limit is {cli.DEID_MAX_FILE_BYTES:,}" in err and "Traceback" not in err


def test_text_over_the_character_limit(
    run_deid, tmp_path: Path, deidentifier: PresidioDeidentifier
) -> None:
    path = tmp_path / "long.txt"
    path.write_text("word " * (deidentifier.max_chars // 5 + 10), encoding="utf-8")
    assert path.stat().st_size <= cli.DEID_MAX_FILE_BYTES  # passes the byte check
    status, out, err = run_deid(str(path))
    assert (status, out) == (2, "")
    assert f"the limit is {deidentifier.max_chars:,}" in err


def test_text_without_phi_comes_back_unchanged(run_deid, tmp_path: Path) -> None:
    text = "Lungs clear. Continue metformin 500 mg twice daily; A1c 7.2. Parkinson's disease."
    path = tmp_path / "clean.txt"
    path.write_text(text, encoding="utf-8")
    status, out, _ = run_deid(str(path))
    assert (status, out) == (0, text + "\n")
    status, out, _ = run_deid(str(path), "--json", "--operator", "surrogate")
    report = json.loads(out)
    assert (status, report["text"], report["spans"]) == (0, text, [])


def test_real_command_refuses_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Café, Dr. Okafor".encode("latin-1"))
    result = subprocess.run(
        [sys.executable, "-m", "review_ui.cli", "deid", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert f"scribe: error: {path}: the input is not UTF-8 text" in result.stderr
    assert "Traceback" not in result.stderr
