from __future__ import annotations


class ReaderError(Exception):
    """A problem with a whole file or one place in it, worded for the person who made it."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        sheet: str = "",
        row: int | None = None,
        column: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.sheet = sheet
        self.row = row
        self.column = column

    def where(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"sheet “{self.sheet}”")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column “{self.column}”")
        return ", ".join(parts)
