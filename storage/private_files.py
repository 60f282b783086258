"""Files and folders only the bot's own account may read.

The database holds people's Telegram ids, roles and the audit log; attachments and exports
hold registry data that may be tertutup. Under a common umask (022) they would be readable by
every account on the server, so they are created 0600 and their folders 0700 whatever the
umask. Files that already exist keep the mode their operator gave them.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> Path:
    """`path` as a folder, made 0700 when this call creates it (its missing parents too)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode is narrowed by the umask, never widened
    return path


def private_file(path: Path) -> Path:
    """Make sure `path` exists, created 0600 if it did not, and return it."""
    os.close(open_private(path, os.O_RDWR))
    return path


def open_private(path: Path, flags: int) -> int:
    """os.open with O_CREAT, creating the file 0600."""
    return os.open(path, flags | os.O_CREAT, FILE_MODE)


def write_private(path: Path, content: bytes) -> Path:
    """Write `content` to `path` (replacing what was there), created 0600 if new."""
    handle = open_private(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(handle, "wb") as stream:
        stream.write(content)
    return path
