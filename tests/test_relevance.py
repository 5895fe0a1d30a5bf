from summarizer.strategies.relevance import mentions_negotiation


def test_negotiation_articles_are_recognised() -> None:
    for name in ("us-china-trump-xi-call.txt", "us-china-rare-earths-tensions.txt"):
        from pathlib import Path

        text = (Path(__file__).parent.parent / "evals" / name).read_text(encoding="utf-8")
        assert mentions_negotiation(text)
    assert mentions_negotiation("The union walked out after management refused to bargain.")


def test_text_without_negotiation_words_is_not() -> None:
    weather = "Heavy rain fell on Sunday. Forecasters expect clear skies by Wednesday."
    assert not mentions_negotiation(weather)
    assert not mentions_negotiation("The recipe calls for two eggs and a cup of flour.")


def test_non_english_text_is_given_the_benefit_of_the_doubt() -> None:
    assert mentions_negotiation("Die Gewerkschaft fordert acht Prozent mehr Lohn.")
    assert mentions_negotiation("双方同意继续谈判。")
