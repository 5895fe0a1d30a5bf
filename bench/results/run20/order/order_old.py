"""``order.py`` with the engine settings before run 20, at commit 5019b63 (where the
fresh-start mark was ``Engine.begin_article``): no fresh start, host-memory prompt
cache 8,192 MiB. ``python order_old.py order.py OUT.json ARTICLE...``."""

import runpy
import sys

import summarizer.backends.engine as e

e.Engine.begin_article = lambda self: None  # type: ignore[attr-defined]
_load = e.Engine._load


def load(self: e.Engine) -> object:
    object.__setattr__(self.settings, "cache_ram_mib", 8192)
    return _load(self)


e.Engine._load = load  # type: ignore[method-assign]
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
