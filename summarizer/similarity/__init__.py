"""When two texts, or two party names, say the same thing: shared by the scorer (item
matching against gold) and by tracking (the same item across articles)."""
