"""Writing the audit log from a request: the actor comes from how it was authorised.

See :func:`blocker.web.api_tokens.actor_of` for who an entry names; callers pass
what changed, never a secret or an address.
"""

from __future__ import annotations

from fastapi import Request

from blocker.runtime import Runtime
from blocker.web.api_tokens import actor_of

__all__ = ["audit"]


def audit(request: Request, runtime: Runtime, action: str, target: str, detail: str = "") -> None:
    runtime.store.record_audit(actor_of(request, runtime), action, target, detail)
