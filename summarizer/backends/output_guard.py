"""What the local decoder watches in its own output, token by token.

The guard knows whether the output is inside a JSON string, a "what" value or the
summary, and from that decides when a string must end (runaway strings), which
word would repeat an earlier item (loops), and when the token budget is nearly
spent (wrap-up). It knows nothing of llama.cpp: ``fast_decode`` feeds it tokens.
"""

from __future__ import annotations

from ..grounding.sentences import ends_sentence

#: Inside an item's "what" value, a word token may not complete an n-gram of word
#: tokens that an earlier "what" value already has: greedy decoding of a small
#: model otherwise repeats the same item until the list bound (measured: 8
#: identical concessions on the rare-earths article). Names, aliases and the
#: summary are exempt, so repeating a party's name is never blocked.
NO_REPEAT_NGRAM = 4
_WHAT_OPEN = '"what":"'
#: The summary is closed after two sentences (or SUMMARY_MAX_TOKENS tokens): left
#: alone, the 1.5B model copies the article's opening paragraphs into it, which
#: was 40% of all generated tokens on the reference articles.
_SUMMARY_OPEN = '"summary":"'
SUMMARY_SENTENCES = 2
SUMMARY_MAX_TOKENS = 90
#: A "what" value is closed after this many tokens (~200 characters, under the
#: schema's 300): copying whole sentences otherwise ran a fact sheet's answer
#: past max_tokens, and over-long values failed validation.
WHAT_MAX_TOKENS = 40
#: Any other string (a party's name, an alias) is closed after this many tokens
#: (~100 characters, under the schema's 120): an alias once grew into "the
#: European Union of the European Union of ..." until max_tokens (measured on
#: us-eu-trade-deal-fact-sheet).
STRING_MAX_TOKENS = 24
#: With this many tokens left, no new item is opened and lists are closed as soon
#: as the grammar allows: enough to finish the current item (<= WHAT_MAX_TOKENS +
#: keys), close the other lists and write the summary (<= SUMMARY_MAX_TOKENS).
#: Without it an answer that reaches max_tokens is cut off and lost (measured with
#: a 260-token budget in tests/test_local_model.py).
WRAP_UP_TOKENS = 200


def plain(piece: str) -> str:
    """A byte-level BPE token's text with its space/newline markers removed."""
    return piece.replace("\u0120", "").replace("\u010a", "")


class OutputGuard:
    """Tracks "what" values in the output and the word n-grams they contain."""

    def __init__(self) -> None:
        self.tail = ""  # the last few characters of output
        self.summary: int | None = None  # tokens written into the summary so far
        self.summary_text = ""
        self.sentences = 0
        self.in_string = False  # inside any JSON string
        self.escaped = False
        self.string_tokens = 0  # tokens of the current string so far
        self.produced = 0  # tokens pushed
        self.wrap_at: int | None = None  # from this many tokens on, open no new item
        self.inside = False
        self.what_tokens = 0
        self.current: list[int] = []  # word tokens of the "what" value being written
        self.seen: dict[tuple[int, ...], set[int]] = {}  # (n-1)-gram -> next words

    def banned(self) -> set[int]:
        if not self.inside or len(self.current) < NO_REPEAT_NGRAM - 1:
            return set()
        return self.seen.get(tuple(self.current[-(NO_REPEAT_NGRAM - 1) :]), set())

    def must_close(self) -> bool:
        """True when the current string (summary, "what", name, alias) must end now."""
        if self.inside and self.what_tokens >= WHAT_MAX_TOKENS:
            return True
        if self.summary is None:
            return self.in_string and not self.inside and self.string_tokens >= STRING_MAX_TOKENS
        return self.sentences >= SUMMARY_SENTENCES or self.summary >= SUMMARY_MAX_TOKENS

    def push(self, token: int, text: str, is_word: bool) -> None:
        """Record one generated token; ``text`` keeps its spaces (" S", ".")."""
        piece = plain(text)
        self.produced += 1
        self._lex(piece)
        if self.in_string:
            self.string_tokens += 1
        if self.summary is not None:
            if '"' in piece:
                self.summary = None
            else:
                self.summary += 1
                for ch in text:
                    self.summary_text += ch
                    if ch in ".!?" and ends_sentence(self.summary_text):
                        self.sentences += 1
        if self.inside:
            self.what_tokens += 1
            if '"' in piece:  # the value ends
                self._remember()
                self.inside = False
            elif is_word:
                self.current.append(token)
        self.tail = (self.tail + piece)[-16:]
        if not self.inside and self.tail.endswith(_WHAT_OPEN):
            self.inside = True
            self.current = []
            self.what_tokens = 0
        if self.summary is None and self.tail.endswith(_SUMMARY_OPEN):
            self.summary, self.sentences, self.summary_text = 0, 0, ""

    def _lex(self, piece: str) -> None:
        for ch in piece:
            if not self.in_string:
                self.in_string = ch == '"'
                self.string_tokens = 0
            elif self.escaped:
                self.escaped = False
            elif ch == "\\":
                self.escaped = True
            elif ch == '"':
                self.in_string = False

    def wrapping(self) -> bool:
        """True when few tokens are left: no new list item may be opened."""
        return self.wrap_at is not None and self.produced >= self.wrap_at

    def closing(self) -> bool:
        """True when the next token should close a list or object if it can."""
        return self.wrapping() and not self.in_string

    def _remember(self) -> None:
        n = NO_REPEAT_NGRAM
        for i in range(len(self.current) - n + 1):
            key = tuple(self.current[i : i + n - 1])
            self.seen.setdefault(key, set()).add(self.current[i + n - 1])
