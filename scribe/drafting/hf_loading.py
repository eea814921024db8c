"""Loading a causal LM with transformers: a GGUF file or a Hugging Face model directory.

A GGUF file is dequantised on load (about 20 s for SmolLM2-135M). `save_pretrained` refuses a
GGUF-loaded model, so its state dict is copied into a plain model of the same config and that
copy is saved under `cache_dir/<gguf sha256>`; later loads take under a second.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

_CACHE_FILES = ("config.json", "model.safetensors", "tokenizer.json")


def load_causal_lm(
    model_path: Path, *, sha256: str, device: str = "cpu", cache_dir: Path | None = None
) -> tuple[Any, Any]:
    """(model, tokenizer) in eval mode on `device`; never downloads."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model_path = Path(model_path)
    if model_path.is_file() and model_path.suffix == ".gguf":
        directory = _gguf_copy(model_path, sha256=sha256, cache_dir=cache_dir)
        if directory is None:
            return _load_gguf(model_path, device)
        model_path = directory
    tokenizer = AutoTokenizer.from_pretrained(model_path, local_files_only=True)
    model: Any = AutoModelForCausalLM.from_pretrained(
        model_path, local_files_only=True, dtype="auto"
    )
    return model.to(device).eval(), tokenizer


def _load_gguf(path: Path, device: str) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(
        path.parent, gguf_file=path.name, local_files_only=True
    )
    model: Any = AutoModelForCausalLM.from_pretrained(
        path.parent, gguf_file=path.name, local_files_only=True
    )
    return model.to(device).eval(), tokenizer


def _gguf_copy(path: Path, *, sha256: str, cache_dir: Path | None) -> Path | None:
    """The dequantised copy of a GGUF model in the cache, made on first use (None: no cache)."""
    if cache_dir is None or not sha256:
        return None
    target = Path(cache_dir) / sha256
    if all((target / name).is_file() for name in _CACHE_FILES):
        return target
    from transformers import AutoModelForCausalLM

    logger.info("dequantising GGUF model once into the cache")
    model, tokenizer = _load_gguf(path, "cpu")
    plain = AutoModelForCausalLM.from_config(model.config)
    plain.load_state_dict(model.state_dict())
    partial = target.with_name(target.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    plain.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(partial, target)
    return target
