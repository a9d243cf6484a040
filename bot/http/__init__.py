"""The HTTP surface (FastAPI on uvicorn): `POST /slack/events` behind a gate that checks what
Bolt would trust (`slack`, `envelope`), `POST /api/leads` (`intake`), health and metrics (`app`).

Bolt's sync dispatch must not run on the event loop thread: it is handed to the thread pool, as
is every database call. May import the core and `storage`; never `handlers`.
"""
