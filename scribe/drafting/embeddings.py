"""Sentence embeddings with the bundled all-MiniLM-L6-v2 (transformers BertModel, mean pooling).

torch and transformers are imported here only, when the model first loads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)


class SentenceEmbedder:
    """L2-normalised mean-pooled sentence vectors; the model loads once, on first use."""

    def __init__(
        self,
        model_dir: Path,
        *,
        sha256: str,
        name: str = "all-minilm-l6-v2",
        device: str = "cpu",
        batch_size: int = 32,
        max_length: int = 256,
    ) -> None:
        self.model_dir = Path(model_dir)
        self.sha256 = sha256
        self.name = name
        self.device = device
        self.batch_size = batch_size
        self.max_length = max_length
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is None:
                from transformers import AutoModel, AutoTokenizer

                self._tokenizer = AutoTokenizer.from_pretrained(
                    self.model_dir, local_files_only=True
                )
                model = AutoModel.from_pretrained(self.model_dir, local_files_only=True)
                self._model = model.to(self.device).eval()
                logger.info("sentence embedder loaded: %s", self.name)
        return self._model, self._tokenizer

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """A (len(texts), dim) float32 array of unit-length vectors (dot product = cosine)."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        model, tokenizer = self._load()
        import torch

        batches = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = list(texts[start : start + self.batch_size])
                encoded = tokenizer(
                    batch,
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="pt",
                )
                encoded = {key: value.to(self.device) for key, value in encoded.items()}
                hidden = model(**encoded).last_hidden_state
                mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                batches.append(pooled.cpu().numpy().astype(np.float32))
        return np.concatenate(batches, axis=0)
