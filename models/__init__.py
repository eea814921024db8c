"""Model catalogue: bundled and configured ML models, resolved and verified locally."""

from models.catalogue import (
    BUNDLED_PREFIX,
    CatalogueEntry,
    ModelError,
    ResolvedModel,
    load_catalogue,
    resolve,
    sha256_of,
)

__all__ = [
    "BUNDLED_PREFIX",
    "CatalogueEntry",
    "ModelError",
    "ResolvedModel",
    "load_catalogue",
    "resolve",
    "sha256_of",
]
