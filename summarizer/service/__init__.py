"""``summarizer serve``: the HTTP service (FastAPI + uvicorn, the ``[service]`` extra)."""
