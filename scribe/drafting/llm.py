"""LLM note drafters: a local transformers model (HfNoteDrafter) or an OpenAI-compatible endpoint
(OpenAINoteDrafter). Both share the prompt, the parsing into SOAP sections, evidence alignment
and the faithfulness check, so a sentence the model invents is linked to nothing or flagged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from scribe.contracts import (
    SECTION_TITLES,
    Draft,
    NoteSection,
    NoteSentence,
    PatientContext,
    Provenance,
    Transcript,
)
from scribe.drafting.alignment import EvidenceAligner
from scribe.drafting.faithfulness import FaithfulnessChecker
from scribe.drafting.prompting import NoteParser, PromptTemplate, load_prompt, render_transcript
from scribe.version import code_version

logger = logging.getLogger(__name__)

Messages = list[dict[str, str]]
Generator = Callable[[Messages], str]
TextFilter = Callable[[str], str]


class PrivacyRoundTrip(Protocol):
    """De-identifies what leaves the process and restores the originals in what comes back."""

    def outbound(self, text: str) -> str:
        """The text to send."""
        ...

    def inbound(self, text: str) -> str:
        """The reply with the originals restored."""
        ...


class DraftingError(RuntimeError):
    """The note model could not produce a draft (message never contains visit text)."""


class LlmDraftBuilder:
    """Prompt in, checked draft out: the part of LLM drafting that does not depend on the model."""

    def __init__(
        self,
        *,
        aligner: EvidenceAligner,
        checker: FaithfulnessChecker,
        prompt: PromptTemplate | None = None,
        parser: NoteParser | None = None,
    ) -> None:
        self.aligner = aligner
        self.checker = checker
        self.prompt = prompt or load_prompt("soap_note")
        self.parser = parser or NoteParser()

    def messages(self, transcript: Transcript, text_filter: TextFilter | None = None) -> Messages:
        """Chat messages for the transcript (after `text_filter`, e.g. de-identification)."""
        text = render_transcript(transcript)
        if text_filter is not None:
            text = text_filter(text)
        return self.prompt.messages(text)

    def build(
        self, output: str, transcript: Transcript, *, drafter: str, provenance: Provenance
    ) -> Draft:
        """Parse the model's output, link evidence, check faithfulness."""
        parsed = self.parser.parse(output)
        texts = [text for key in SECTION_TITLES for text in parsed[key]]
        evidence = iter(self.aligner.align(texts, transcript))
        sections = tuple(
            NoteSection(
                key=key,
                title=title,
                sentences=tuple(
                    NoteSentence(id=f"{key}-{number}", text=text, evidence=next(evidence))
                    for number, text in enumerate(parsed[key], start=1)
                ),
            )
            for key, title in SECTION_TITLES.items()
        )
        if not texts:
            logger.warning("%s: the model returned no note text", drafter)
        draft = Draft(sections=sections, drafter=drafter, provenance=(provenance,))
        return self.checker.check(draft, transcript)

    def provenance(
        self, component: str, model_name: str | None, model_sha256: str | None, **parameters: Any
    ) -> Provenance:
        """Provenance of an LLM draft: model, prompt version, aligner settings."""
        return Provenance(
            component=component,
            model_name=model_name,
            model_sha256=model_sha256,
            rules_version=f"prompt:{self.prompt.name}={self.prompt.version}",
            code_version=code_version(),
            parameters={**parameters, "aligner": self.aligner.parameters()},
        )


class HfNoteDrafter:
    """Drafts with a local causal LM through transformers (GGUF file or HF model directory)."""

    name = "hf"

    def __init__(
        self,
        model_path: Path,
        *,
        model_sha256: str,
        model_name: str,
        device: str = "cpu",
        max_new_tokens: int = 384,
        aligner: EvidenceAligner,
        checker: FaithfulnessChecker,
        cache_dir: Path | None = None,
        temperature: float = 0.0,
        seed: int = 0,
        max_input_tokens: int = 6000,
        generator: Generator | None = None,
    ) -> None:
        """`generator` replaces the model (messages -> text), for tests of the other logic."""
        self.model_path = Path(model_path)
        self.model_sha256 = model_sha256
        self.model_name = model_name
        self.device = device
        self.max_new_tokens = max_new_tokens
        self.cache_dir = cache_dir
        self.temperature = temperature
        self.seed = seed
        self.max_input_tokens = max_input_tokens
        self._builder = LlmDraftBuilder(aligner=aligner, checker=checker)
        self._generator = generator
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def draft(self, transcript: Transcript, *, context: PatientContext | None = None) -> Draft:
        """Generate a note, then align and check every sentence."""
        messages, truncated = self._fit(transcript)
        generate = self._generator or self._generate
        output = generate(messages)
        provenance = self._builder.provenance(
            "drafting.hf",
            self.model_name,
            self.model_sha256,
            max_new_tokens=self.max_new_tokens,
            temperature=self.temperature,
            seed=self.seed,
            device=self.device,
            empty_output=not output.strip(),
            transcript_truncated=truncated,
        )
        return self._builder.build(output, transcript, drafter=self.name, provenance=provenance)

    def _load(self) -> tuple[Any, Any]:
        with self._lock:
            if self._model is None:
                from scribe.drafting.hf_loading import load_causal_lm

                self._model, self._tokenizer = load_causal_lm(
                    self.model_path,
                    sha256=self.model_sha256,
                    device=self.device,
                    cache_dir=self.cache_dir,
                )
                logger.info("note LLM loaded: %s", self.model_name)
        return self._model, self._tokenizer

    def _fit(self, transcript: Transcript) -> tuple[Messages, bool]:
        """Messages within `max_input_tokens`, dropping middle turns of a long transcript."""
        messages = self._builder.messages(transcript)
        if self._generator is not None:
            return messages, False
        _, tokenizer = self._load()
        segments = list(transcript.segments)
        truncated = False
        while len(segments) > 2 and _token_count(tokenizer, messages) > self.max_input_tokens:
            middle, drop = len(segments) // 2, max(1, len(segments) // 10)
            del segments[middle - drop // 2 : middle - drop // 2 + drop]
            shorter = transcript.model_copy(update={"segments": tuple(segments)})
            messages, truncated = self._builder.messages(shorter), True
        if truncated:
            logger.warning("transcript shortened to %d segments to fit the prompt", len(segments))
        return messages, truncated

    def _generate(self, messages: Messages) -> str:
        import torch

        model, tokenizer = self._load()
        encoded = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        encoded = {key: value.to(self.device) for key, value in encoded.items()}
        sampling: dict[str, Any] = {"do_sample": self.temperature > 0}
        if self.temperature > 0:
            sampling["temperature"] = self.temperature
        torch.manual_seed(self.seed)
        with torch.inference_mode():
            output = model.generate(
                **encoded,
                max_new_tokens=self.max_new_tokens,
                repetition_penalty=1.1,
                pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
                **sampling,
            )
        new_tokens = output[0, encoded["input_ids"].shape[1] :]
        return str(tokenizer.decode(new_tokens, skip_special_tokens=True))


def _token_count(tokenizer: Any, messages: Messages) -> int:
    encoded = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)
    return len(encoded["input_ids"])


class OpenAINoteDrafter:
    """Drafts with an OpenAI-compatible chat-completions endpoint (vLLM, llama.cpp server...).

    `round_trip` (a factory called once per draft, so each visit has its own surrogates)
    de-identifies the transcript before it leaves the process and maps the surrogates in the
    reply back to the originals; None sends the transcript as is (for a trusted local server).
    """

    name = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None,
        *,
        aligner: EvidenceAligner,
        checker: FaithfulnessChecker,
        timeout: float = 120.0,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int = 0,
        round_trip: Callable[[], PrivacyRoundTrip] | None = None,
        transport: Any = None,
    ) -> None:
        """`transport`: an httpx transport (tests pass `httpx.MockTransport`)."""
        self.base_url = base_url.rstrip("/")
        self.model = model
        self._api_key = api_key
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed
        self.round_trip = round_trip
        self._transport = transport
        self._builder = LlmDraftBuilder(aligner=aligner, checker=checker)

    def draft(self, transcript: Transcript, *, context: PatientContext | None = None) -> Draft:
        """Ask the endpoint for a note, then align and check every sentence."""
        privacy = self.round_trip() if self.round_trip is not None else None
        messages = self._builder.messages(transcript, privacy.outbound if privacy else None)
        output = self._complete(messages)
        if privacy is not None:
            output = privacy.inbound(output)
        provenance = self._builder.provenance(
            "drafting.openai",
            self.model,
            None,
            endpoint=self.base_url,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            seed=self.seed,
            deidentified=privacy is not None,
            empty_output=not output.strip(),
        )
        return self._builder.build(output, transcript, drafter=self.name, provenance=provenance)

    def _complete(self, messages: Messages) -> str:
        import httpx

        headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
        }
        try:
            with httpx.Client(timeout=self.timeout, transport=self._transport) as client:
                response = client.post(
                    f"{self.base_url}/chat/completions", json=body, headers=headers
                )
        except httpx.HTTPError as exc:
            raise DraftingError(
                f"LLM endpoint {self.base_url} unreachable: {type(exc).__name__}"
            ) from exc
        if response.status_code != 200:
            raise DraftingError(
                f"LLM endpoint {self.base_url} returned HTTP {response.status_code}"
            )
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise DraftingError("LLM endpoint returned an unexpected response shape") from exc
        return str(content or "")
