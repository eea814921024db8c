"""De-identifying text sent to a remote LLM endpoint and restoring the originals in its reply.

The prompt goes out with surrogates (natural-looking invented names, shifted dates), so the
model writes a normal note; the reply comes back with the same surrogates, which the session
maps back to the originals. The session (with its mapping) never leaves the server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from scribe.deid.engine import PresidioDeidentifier
from scribe.deid.surrogates import SurrogateSession


@dataclass
class RemoteRoundTrip:
    """One encounter's traffic to a remote model: `outbound` before sending, `inbound` after.

    Use the same object (same session) for every message of the encounter so the same person
    has the same surrogate in every prompt.
    """

    deidentifier: PresidioDeidentifier
    session: SurrogateSession = field(default_factory=SurrogateSession)

    def outbound(self, text: str) -> str:
        """The text to send: every detected identifier replaced by its surrogate."""
        if not text.strip():
            return text
        return self.deidentifier.deidentify(text, operator="surrogate", session=self.session).text

    def inbound(self, text: str) -> str:
        """The model's reply with the originals put back in place of the surrogates."""
        return self.session.reidentify(text)

    def call(self, prompt: str, send: Callable[[str], str]) -> str:
        """De-identify `prompt`, pass it to `send` (the HTTP call), re-identify the reply."""
        return self.inbound(send(self.outbound(prompt)))
