"""Per-example numbers of a run, kept on disk in SQLite instead of in memory.

A million examples would cost a hundred megabytes or more as Python lists and
dicts; SQLite sorts them with a bounded cache and temporary files, so peak
memory stays the same for a 100 MB and a 1 GB file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BATCH = 5000


def _signed(h: int) -> int:
    # SQLite integers are signed 64-bit.
    return h - (1 << 64) if h >= 1 << 63 else h


class ExampleStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            PRAGMA cache_size = -4000;
            PRAGMA temp_store = FILE;
            CREATE TABLE ex (i INTEGER PRIMARY KEY, ch INTEGER, ph INTEGER, ah INTEGER,
                             tok INTEGER, atok INTEGER, row INTEGER, st INTEGER, cat INTEGER);
            CREATE TABLE grp (ph INTEGER, rkey INTEGER, cat INTEGER, size INTEGER);
            """
        )
        self._rows: list[tuple[Any, ...]] = []
        self._groups: list[tuple[Any, ...]] = []
        self._status: list[tuple[int, int]] = []
        self.count = 0

    def add(
        self, ch: int, ph: int, ah: int, tok: int, atok: int, row: int, st: int, cat: int
    ) -> None:
        self._rows.append(
            (self.count, _signed(ch), _signed(ph), _signed(ah), tok, atok, row, st, cat)
        )
        self.count += 1
        if len(self._rows) >= BATCH:
            self.flush()

    def set_status(self, i: int, st: int) -> None:
        self._status.append((st, i))
        if len(self._status) >= BATCH:
            self.flush()

    def add_group(self, ph: int, rkey: int, cat: int, size: int) -> None:
        self._groups.append((ph, _signed(rkey), cat, size))
        if len(self._groups) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self.db.executemany("INSERT INTO ex VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._rows)
            self._rows = []
        if self._status:
            self.db.executemany("UPDATE ex SET st = ? WHERE i = ?", self._status)
            self._status = []
        if self._groups:
            self.db.executemany("INSERT INTO grp VALUES (?, ?, ?, ?)", self._groups)
            self._groups = []

    def query(self, sql: str, *params: Any) -> Iterator[tuple[Any, ...]]:
        self.flush()
        return self.db.execute(sql, params)

    def close(self) -> None:
        self.db.close()
        self.path.unlink(missing_ok=True)
