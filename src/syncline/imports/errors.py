"""The error of a file that cannot be imported at all (exit code 2; nothing is written)."""

from __future__ import annotations

from syncline.errors import SynclineError


class ImportFileError(SynclineError):
    """The file as a whole is unusable: empty, binary, undecodable, ragged, without a header.

    The message names the file, the line (when there is one) and what to do.
    """

    exit_code = 2

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        self.file = file
        self.line = line
        self.reason = reason
        where = f"{file}:{line}" if line is not None else file
        super().__init__(f"{where}: {reason}")


__all__ = ["ImportFileError"]
