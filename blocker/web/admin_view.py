"""The admin's page of people: the list, open invitations, allowed domains.

Invitations are named by their key (the address's keyed hash), which is what the
cancel form posts: the address itself is not stored.

Shared by ``GET /admin/users`` and the forms posting to it (which answer with the
page itself and an error when the change was refused, so what was typed is not
lost). People are shown by address when the store knows it (sealed since 0013),
else by domain and fingerprint, like the audit log names them.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from blocker.runtime import Runtime
from blocker.store.teams import ROLES, RosterRow
from blocker.web.html import page
from blocker.web.sessions import csrf_of

__all__ = ["PAGE_SIZE", "admin_page", "roster_json"]

PAGE_SIZE = 200
"""People per page: the roster is one query, but 10k rows is no page to read."""


def _roster(runtime: Runtime, page_no: int) -> tuple[list[RosterRow], bool]:
    rows = runtime.store.team_roster(limit=PAGE_SIZE + 1, offset=(page_no - 1) * PAGE_SIZE)
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def admin_page(
    runtime: Runtime,
    session: str,
    *,
    page_no: int = 1,
    viewer_id: int | None = None,
    error: str | None = None,
    notice: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page; ``error`` (with what was typed in ``form``) when a change was refused."""
    rows, more = _roster(runtime, page_no)
    return page(
        "admin_users.html",
        status_code,
        page="admin",
        admin_nav=True,
        csrf=csrf_of(runtime, session),
        rows=rows,
        roles=ROLES,
        viewer_id=viewer_id,
        invitations=runtime.store.open_invitations(),
        domains=runtime.store.allowed_domains(),
        invitation_days=runtime.settings.invitation_days,
        error=error,
        notice=notice,
        form=form or {},
        page_no=page_no,
        newer=page_no - 1 if page_no > 1 else None,
        older=page_no + 1 if more else None,
    )


def roster_json(runtime: Runtime, page_no: int) -> dict[str, Any]:
    """The same list for API callers (the shared token, an admin's personal token)."""
    rows, more = _roster(runtime, page_no)
    return {
        "users": [
            {
                "id": r.user.id,
                "email": r.email,
                "domain": r.user.domain,
                "fingerprint": r.user.fingerprint,
                "role": r.user.role,
                "disabled": r.user.disabled,
                "last_sign_in_at": (
                    r.user.last_sign_in_at.isoformat() if r.user.last_sign_in_at else None
                ),
                "connected_calendars": r.connected,
            }
            for r in rows
        ],
        "invitations": [
            {
                "id": i.key,
                "domain": i.domain,
                "role": i.role,
                "expires_at": i.expires_at.isoformat(),
            }
            for i in runtime.store.open_invitations()
        ],
        "allowed_domains": runtime.store.allowed_domains(),
        "next_page": page_no + 1 if more else None,
    }
