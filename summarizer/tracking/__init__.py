"""Follow a negotiation across a series of articles: the state after each article,
what it changed, and which concession answers which demand."""

from .model import TRACK_SCHEMA_VERSION, Change, Item, Link, Step, Timeline
from .run import iter_track, make_tracker, series_of, track
from .tracker import Tracker

__all__ = [
    "TRACK_SCHEMA_VERSION",
    "Change",
    "Item",
    "Link",
    "Step",
    "Timeline",
    "Tracker",
    "iter_track",
    "make_tracker",
    "series_of",
    "track",
]
