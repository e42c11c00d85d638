"""A calendar file as raw text: VCALENDAR header lines and top-level components.

The local provider edits a file the user also edits: it replaces only our own
VEVENTs and writes every other component (foreign events, VTIMEZONEs, to-dos)
back byte for byte, so the file is split into components as text, not parsed
and re-serialised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from providers.ics import calendar_text
from providers.ics_format import KEY_PROP, UID_SUFFIX, etag_of


@dataclass(frozen=True)
class Chunk:
    """One top-level component as raw text (CRLF lines, ending in CRLF).

    Frozen: a changed component is a new chunk. So what is read off its text (who owns
    it, its id) is read once: looking up one block used to re-scan every chunk's text,
    quadratic in a week's writes to a local calendar.
    """

    kind: str
    text: str

    @cached_property
    def unfolded(self) -> str:
        return self.text.replace("\r\n ", "").replace("\r\n\t", "")

    def prop(self, name: str) -> str | None:
        """First value of a simple property of the component itself (UID, SEQUENCE)."""
        prefix = name.upper()
        for line in self.unfolded.split("\r\n")[1:]:
            head, sep, value = line.partition(":")
            if sep and head.split(";", 1)[0].upper() == prefix:
                return value
            if line.upper().startswith("BEGIN:"):
                break  # a sub-component (VALARM) starts: its properties are not ours
        return None

    @cached_property
    def owned(self) -> bool:
        return self.kind == "VEVENT" and self.prop(KEY_PROP) is not None

    @cached_property
    def event_id(self) -> str | None:
        uid = self.prop("UID")
        return uid.removesuffix(UID_SUFFIX) if uid is not None else None


@dataclass
class Document:
    """A calendar file: VCALENDAR header lines and components, in file order."""

    header: list[str]
    chunks: list[Chunk] = field(default_factory=list)

    def text(self) -> str:
        return calendar_text(self.header, (c.text for c in self.chunks))

    def owned_index(self, event_id: str) -> int | None:
        for index, chunk in enumerate(self.chunks):
            if chunk.owned and chunk.event_id == event_id:
                return index
        return None

    def has_foreign(self, event_id: str) -> bool:
        return any(not c.owned and c.prop("UID") == event_id for c in self.chunks)


def split_document(text: str, *, fallback_header: Sequence[str]) -> Document:
    """Split iCalendar text into header lines and raw component texts."""
    physical = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    logical: list[str] = []
    for line in physical:
        if line[:1] in (" ", "\t") and logical:
            logical[-1] += "\r\n" + line
        elif line.strip():
            logical.append(line)
    header: list[str] = []
    chunks: list[Chunk] = []
    calendars = depth = 0
    current: list[str] = []
    for line in logical:
        upper = line.split("\r\n", 1)[0].upper()
        if depth == 0:
            if upper == "BEGIN:VCALENDAR":
                depth, calendars = 1, calendars + 1
            continue
        if depth == 1:
            if upper == "END:VCALENDAR":
                depth = 0
            elif upper.startswith("BEGIN:"):
                depth, current = 2, [line]
            elif calendars == 1:
                header.append(line)
            continue
        current.append(line)
        if upper.startswith("BEGIN:"):
            depth += 1
        elif upper.startswith("END:"):
            depth -= 1
            if depth == 1:
                kind = current[0].split(":", 1)[1].strip().upper()
                chunks.append(Chunk(kind, "".join(f"{x}\r\n" for x in current)))
    if calendars == 0:
        header = list(fallback_header)
    return Document(header, chunks)


def foreign_etags(doc: Document) -> dict[str, str]:
    """Per UID, a hash over every component of that UID (a series and its overrides)."""
    texts: dict[str, list[str]] = {}
    for chunk in doc.chunks:
        uid = chunk.prop("UID")
        if chunk.kind == "VEVENT" and not chunk.owned and uid is not None:
            texts.setdefault(uid, []).append(chunk.text)
    return {uid: etag_of("".join(parts)) for uid, parts in texts.items()}


__all__ = ["Chunk", "Document", "foreign_etags", "split_document"]
