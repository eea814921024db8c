"""Wiring of de-identification: remote-LLM round trips, the date-shift key, the deidentifier."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from urllib.parse import urlparse

from scribe.deid import PresidioDeidentifier, RemoteRoundTrip
from scribe.settings import Settings


def endpoint_is_loopback(url: str) -> bool:
    """Whether an endpoint URL points at this machine (localhost or a loopback address)."""
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def remote_needs_deidentification(settings: Settings) -> bool:
    """Whether text sent to the configured LLM endpoint must be de-identified first."""
    if settings.llm_deidentify == "auto":
        return not endpoint_is_loopback(settings.llm_endpoint_url or "")
    return settings.llm_deidentify == "always"


def round_trip_factory(deidentifier: PresidioDeidentifier) -> Callable[[], RemoteRoundTrip]:
    """A new round trip (fresh surrogates) for each draft."""
    return lambda: RemoteRoundTrip(deidentifier)


def date_shift_key(settings: Settings) -> bytes:
    """The key of per-patient date shifts: the setting, or a key file made once (mode 0600)."""
    if settings.deid_secret is not None:
        return settings.deid_secret.get_secret_value().encode()
    path = settings.data_dir / "deid.key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
