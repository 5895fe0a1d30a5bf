"""summarizer: structured, evidence-grounded summaries of negotiation articles.

The public surface: ``Summarizer`` (one loaded model: ``summarize``, ``asummarize``,
``summarize_many``), the one-line ``summarize`` / ``asummarize``, ``Settings``, the
result model ``NegotiationSummary``, the error base ``SummarizerError``, and
``MockBackend`` / ``register_backend`` for tests and custom engines.
"""

from .api import Summarizer, asummarize, summarize
from .backends import MockBackend, register_backend
from .errors import SummarizerError
from .schema import NegotiationSummary
from .settings import Settings

__all__ = [
    "MockBackend",
    "NegotiationSummary",
    "Settings",
    "Summarizer",
    "SummarizerError",
    "asummarize",
    "register_backend",
    "summarize",
]
__version__ = "0.2.0"
