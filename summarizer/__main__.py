"""``python -m summarizer``: the command line."""

from .cli.main import run

run()
