"""The error hierarchy. Every error the package raises derives from SummarizerError.

Each error carries its context (``context`` dict) and, where there is one, the
original exception as ``__cause__`` (raise ... from ...), so nothing is swallowed.
"""

from __future__ import annotations

from typing import Any


class SummarizerError(Exception):
    """Root of every error raised by summarizer."""

    exit_code: int = 1

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context: dict[str, Any] = context

    def __str__(self) -> str:
        return self.message


class UsageError(SummarizerError):
    """The caller asked for something that cannot work (bad option, bad model string)."""

    exit_code = 2


class InputError(SummarizerError):
    """The article cannot be read or is not text (missing, directory, binary, empty, too big)."""


class PromptError(SummarizerError):
    """A prompt template is missing, malformed, or rendered without a required variable."""


class ConfigError(SummarizerError):
    """The configuration or environment is incomplete (missing extra, bad model file)."""


class ModelFileError(ConfigError):
    """The embedded model could not be assembled or failed its checksum."""


class ProviderError(SummarizerError):
    """The model provider failed: transport errors after the retry budget, or a hard error.

    ``provider_cause`` names the kind of failure (``rate_limit``, ``timeout``,
    ``server_error``, ``connection``, ``auth``, ``bad_request``, ``other``).
    """

    def __init__(self, message: str, *, provider_cause: str, attempts: int, **context: Any) -> None:
        super().__init__(message, provider_cause=provider_cause, attempts=attempts, **context)
        self.provider_cause = provider_cause
        self.attempts = attempts


class ExtractionError(SummarizerError):
    """The model's output never validated within the re-ask budget.

    ``last_error`` is the last validation problem; ``usage`` counts every attempt.
    """

    def __init__(self, message: str, *, attempts: int, last_error: str, **context: Any) -> None:
        super().__init__(message, attempts=attempts, last_error=last_error, **context)
        self.attempts = attempts
        self.last_error = last_error


class GoldFormatError(SummarizerError):
    """A gold file breaks the GOLD_FORMAT contract. ``problems`` lists every finding."""

    def __init__(self, message: str, *, problems: list[str]) -> None:
        super().__init__(message, problems=problems)
        self.problems = problems


class EvalError(SummarizerError):
    """An evaluation run or score could not be carried out."""


class ThresholdError(SummarizerError):
    """An evaluation finished, but a metric fell below a --min-* threshold."""


class ServiceError(SummarizerError):
    """The HTTP service cannot start or keep its jobs (bad configuration, job database)."""
