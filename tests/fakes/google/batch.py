"""The ``multipart/mixed`` framing of Google's batch endpoint, both directions.

Each request part is an ``application/http`` message with a ``Content-ID`` of the
form ``<base + n>``; each response part must answer with ``<response-base + n>``
and CRLF line ends, or the client cannot match (or even split) the parts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import compat32
from http import HTTPStatus

from tests.fakes.google.errors import Reply


@dataclass(frozen=True)
class Part:
    content_id: str
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


def parse_batch(content_type: str, body: bytes) -> list[Part]:
    message = BytesParser(policy=compat32).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise ValueError("batch body is not multipart/mixed")
    parts: list[Part] = []
    for sub in message.get_payload():
        raw = sub.get_payload(decode=False)
        text = raw if isinstance(raw, str) else str(raw)
        text = text.replace("\r\n", "\n")
        head, _, payload = text.partition("\n\n")
        lines = head.split("\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        parts.append(Part(sub["Content-ID"] or "", method, target, headers, payload.encode()))
    return parts


def format_batch(replies: list[tuple[str, Reply]]) -> tuple[str, bytes]:
    """Return (content type, body) of the batch response, parts in request order."""
    boundary = "batch_" + uuid.uuid4().hex
    chunks: list[bytes] = []
    for content_id, (status, headers, body) in replies:
        inner = content_id.strip()
        if inner.startswith("<") and inner.endswith(">"):
            inner = inner[1:-1]
        lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        response = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        chunks.append(
            (
                f"--{boundary}\r\n"
                "Content-Type: application/http\r\n"
                f"Content-ID: <response-{inner}>\r\n\r\n"
            ).encode()
            + response
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/mixed; boundary={boundary}", b"".join(chunks)
