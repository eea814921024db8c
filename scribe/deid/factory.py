"""Building the configured de-identifier (for scripts and the composition root)."""

from __future__ import annotations

from scribe.deid.engine import PresidioDeidentifier
from scribe.settings import Settings, get_settings


def build_deidentifier(
    settings: Settings | None = None, *, verify: bool = True
) -> PresidioDeidentifier:
    """A `PresidioDeidentifier` on the spaCy model named by SCRIBE_SPACY_MODEL.

    Raises models.ModelError naming the setting when the model is missing or does not verify.
    """
    from models import resolve

    settings = settings or get_settings()
    model = resolve(
        settings.spacy_model,
        setting="SCRIBE_SPACY_MODEL",
        cache_dir=settings.model_cache_dir,
        verify=verify,
    )
    return PresidioDeidentifier(model.path, spacy_model_sha256=model.sha256)
