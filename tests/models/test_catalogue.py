"""The model catalogue resolves bundled models locally and refuses missing or altered ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from models import ModelError, load_catalogue, resolve, sha256_of


def test_catalogue_entries_are_complete() -> None:
    version, entries = load_catalogue()
    assert version
    bundled = [entry for entry in entries.values() if not entry.production]
    assert {entry.name for entry in bundled} >= {
        "whisper-tiny.en",
        "smollm2-135m-instruct",
        "en-core-web-sm",
        "all-minilm-l6-v2",
    }
    for entry in entries.values():
        assert entry.source and entry.version and entry.licence
    for entry in bundled:
        assert len(entry.sha256) == 64


@pytest.mark.parametrize(
    "name", ["whisper-tiny.en", "smollm2-135m-instruct", "en-core-web-sm", "all-minilm-l6-v2"]
)
def test_bundled_models_resolve_and_verify(name: str, tmp_path: Path) -> None:
    model = resolve(f"bundled:{name}", setting="SCRIBE_X", cache_dir=tmp_path)
    assert model.path.exists()
    assert model.sha256 == load_catalogue()[1][name].sha256


def test_unknown_bundled_name_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="SCRIBE_WHISPER_MODEL"):
        resolve("bundled:whisper-huge", setting="SCRIBE_WHISPER_MODEL", cache_dir=tmp_path)


def test_missing_local_path_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="SCRIBE_LLM_MODEL.*no such local model"):
        resolve(str(tmp_path / "absent"), setting="SCRIBE_LLM_MODEL", cache_dir=tmp_path)


def test_altered_model_file_is_a_checksum_error(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    resolve("bundled:all-minilm-l6-v2", setting="SCRIBE_EMBEDDING_MODEL", cache_dir=cache)
    unpacked = next(cache.iterdir())
    with (unpacked / "model.safetensors").open("r+b") as handle:
        handle.seek(1000)
        handle.write(b"tampered")
    with pytest.raises(ModelError, match="SCRIBE_EMBEDDING_MODEL.*checksum mismatch"):
        resolve("bundled:all-minilm-l6-v2", setting="SCRIBE_EMBEDDING_MODEL", cache_dir=cache)


def test_directory_digest_changes_when_any_file_changes(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "a.json").write_text(json.dumps({"x": 1}))
    (folder / "b.bin").write_bytes(b"\0" * 10)
    before = sha256_of(folder)
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    assert sha256_of(copy) == before
    (copy / "b.bin").write_bytes(b"\1" * 10)
    assert sha256_of(copy) != before
