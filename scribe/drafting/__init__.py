"""Note drafting: grounded (extractive) and LLM drafters, evidence alignment, faithfulness."""

from scribe.drafting.alignment import EvidenceAligner
from scribe.drafting.clinical_nlp import ClinicalNlp
from scribe.drafting.embeddings import SentenceEmbedder
from scribe.drafting.faithfulness import FaithfulnessChecker
from scribe.drafting.grounded import GroundedNoteDrafter
from scribe.drafting.llm import DraftingError, HfNoteDrafter, OpenAINoteDrafter

__all__ = [
    "ClinicalNlp",
    "DraftingError",
    "EvidenceAligner",
    "FaithfulnessChecker",
    "GroundedNoteDrafter",
    "HfNoteDrafter",
    "OpenAINoteDrafter",
    "SentenceEmbedder",
]
