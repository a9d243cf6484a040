"""Slack's file upload flow in the fake, as Slack runs it since files.upload retired:
`files.getUploadURLExternal` (a file id and a one-use upload URL), a POST of the bytes to that
URL, then `files.completeUploadExternal`, which shares the files into a channel (or keeps them
private without one). Checked as Slack does: the declared length must match the bytes, and a
file can be completed only once it is uploaded, and only once.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

Args = dict[str, Any]
Answer = dict[str, Any]


@dataclass
class StoredFile:
    id: str
    filename: str
    length: int
    data: bytes | None = None
    title: str | None = None
    channels: list[str] = field(default_factory=list)
    initial_comment: str | None = None


class FileStore:
    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.base_url = ""  # the fake's own address: upload URLs point back at it
        self.files: dict[str, StoredFile] = {}

    def reset(self) -> None:
        self.files = {}

    def get_upload_url(self, args: Args) -> Answer:
        filename, length = args.get("filename"), args.get("length")
        if not isinstance(filename, str) or not filename.strip():
            return {"ok": False, "error": "invalid_arguments"}
        try:
            size = int(length)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        if size <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = StoredFile(file_id, filename, size)
        return {"ok": True, "upload_url": f"{self.base_url}upload/{file_id}", "file_id": file_id}

    def upload(self, file_id: str, data: bytes) -> tuple[int, bytes]:
        stored = self.files.get(file_id)
        if stored is None or stored.data is not None:
            return 404, b"not found"
        if len(data) != stored.length:
            return 400, f"length {len(data)} is not the {stored.length} declared".encode()
        stored.data = data
        return 200, f"OK - {len(data)}".encode()

    def complete(self, args: Args, channel: str | None) -> Answer:
        files = args.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError:
                return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        chosen: list[tuple[StoredFile, str | None]] = []
        for item in files:
            stored = self.files.get(item.get("id")) if isinstance(item, dict) else None
            if stored is None or stored.data is None or stored.channels:
                return {"ok": False, "error": "file_not_found"}
            chosen.append((stored, item.get("title")))
        for stored, title in chosen:
            stored.title = title or stored.filename
            stored.initial_comment = args.get("initial_comment")
            if channel is not None:
                stored.channels.append(channel)
        return {"ok": True, "files": [_public(stored) for stored, _ in chosen]}


def _public(stored: StoredFile) -> dict[str, Any]:
    return {"id": stored.id, "name": stored.filename, "title": stored.title,
            "size": stored.length, "channels": list(stored.channels)}  # fmt: skip
