"""Ed25519 signatures on audit exports and packets.

A hash chain shows that events were not edited relative to each other, but anyone holding an
exported file could rewrite it and recompute every hash. Exports therefore carry a manifest
signed with the service's Ed25519 key; a verifier who pins the service's public key (shown by
`scribe audit public-key` and the compliance page) can check a file on its own.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from scribe.settings import Settings

SIGNATURE_ALGORITHM = "Ed25519"


def canonical_json(value: Any) -> bytes:
    """The bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_id(public_key_b64: str) -> str:
    """A short fingerprint of a public key (first 16 hex digits of its sha256)."""
    return hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()[:16]


@dataclass(frozen=True)
class ExportSigner:
    """Signs manifests with the service's private key."""

    private_key: Ed25519PrivateKey

    @classmethod
    def from_file(cls, path: Path) -> ExportSigner:
        """Load the PEM key at `path`, creating it (mode 0600) the first time."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first: use theirs
                pass
            else:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(pem)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return cls(key)

    @classmethod
    def for_settings(cls, settings: Settings) -> ExportSigner:
        """The configured key, or the one kept in the data directory."""
        return cls.from_file(
            settings.audit_signing_key or settings.data_dir / "audit-signing-key.pem"
        )

    @property
    def public_key_b64(self) -> str:
        """The raw public key, base64."""
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return base64.b64encode(raw).decode()

    def sign_manifest(self, manifest: dict[str, Any]) -> dict[str, Any]:
        """The manifest with `signature` added (over the canonical JSON of the rest)."""
        body = {key: value for key, value in manifest.items() if key != "signature"}
        signature = self.private_key.sign(canonical_json(body))
        return {
            **body,
            "signature": {
                "algorithm": SIGNATURE_ALGORITHM,
                "public_key": self.public_key_b64,
                "key_id": key_id(self.public_key_b64),
                "value": base64.b64encode(signature).decode(),
            },
        }


def check_manifest_signature(
    manifest: dict[str, Any], trusted_public_key: str | None = None
) -> list[str]:
    """Problems with a signed manifest's signature (empty when it verifies).

    Without `trusted_public_key` the signature is checked against the key the manifest names,
    which proves integrity only if that key is the service's: compare its key id.
    """
    signature = manifest.get("signature")
    if not isinstance(signature, dict):
        return ["the manifest is not signed"]
    public_key = str(signature.get("public_key", ""))
    if trusted_public_key and public_key != trusted_public_key.strip():
        return [f"signed by key {signature.get('key_id')}, not by the trusted key"]
    body = {key: value for key, value in manifest.items() if key != "signature"}
    try:
        verifier = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        verifier.verify(base64.b64decode(str(signature.get("value", ""))), canonical_json(body))
    except (InvalidSignature, ValueError):
        return ["the manifest signature does not verify (manifest or signature altered)"]
    return []
