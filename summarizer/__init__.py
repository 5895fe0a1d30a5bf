"""summarizer: structured, evidence-grounded summaries of negotiation articles."""

from .api import asummarize, summarize
from .errors import SummarizerError
from .schema import NegotiationSummary

__all__ = ["NegotiationSummary", "SummarizerError", "asummarize", "summarize"]
__version__ = "0.1.0"
