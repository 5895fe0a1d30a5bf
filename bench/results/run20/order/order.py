"""Summarize the given articles one after the other in one process (one engine) and
write each one's open issues, a digest of its summary (run metadata left out), its
seconds and calls: ``python order.py OUT.json ARTICLE...``."""

import hashlib
import json
import sys
import time
from pathlib import Path

from summarizer import Summarizer

s = Summarizer()
out = {}
for f in sys.argv[2:]:
    t = time.perf_counter()
    d = s.summarize(Path(f).read_text(), title=None).model_dump(mode="json")
    run = d.pop("run")
    out[Path(f).stem] = {
        "open": [i["text"] for i in d["open_issues"]],
        "digest": hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12],
        "secs": round(time.perf_counter() - t, 1),
        "calls": run["usage"]["calls"],
        "prompt_tokens": run["usage"]["prompt_tokens"],
    }
    print(Path(f).stem, out[Path(f).stem], file=sys.stderr, flush=True)
Path(sys.argv[1]).write_text(json.dumps(out, indent=1))
