"""The model's one-token judgements of a sentence (``prompts/staged-judge``).

Each question is answered with one token; its probabilities (not the greedy answer)
become features of the sentence classifier, which learns how far to trust them.
"""

from __future__ import annotations

from ..prompts import Prompt, load_prompt

#: question -> the answer words whose probabilities are read
QUESTIONS: dict[str, tuple[str, ...]] = {
    "demand": ("yes", "no"),
    "concession": ("yes", "no"),
    "open_issue": ("yes", "no"),
    "kind": ("demand", "concession", "open", "none"),
}


def judge_prompt() -> Prompt:
    return load_prompt("staged-judge")


def judge_messages(question: str, sentence: str) -> list[dict[str, str]]:
    return judge_prompt().messages(question=question, sentence=" ".join(sentence.split()))


def judgement_features(probs: dict[str, dict[str, float]]) -> list[float]:
    """Seven numbers: P(yes) of the three questions and the four label probabilities."""
    out = [probs[q]["yes"] for q in ("demand", "concession", "open_issue")]
    out += [probs["kind"][k] for k in QUESTIONS["kind"]]
    return out
