"""The store: one object the sync engine, web app and scheduler share.

:class:`Store` implements :class:`blocker.state.SyncState` exactly and adds
accounts, channels, rules versions and schedule state. Each part lives in its own
module; this one only assembles them.
"""

from __future__ import annotations

from blocker.store.accounts import AccountStore, UnknownCalendar
from blocker.store.api_tokens import TokenStore
from blocker.store.audit import AuditStore
from blocker.store.base import describe_engine, unreachable
from blocker.store.channels import ChannelStore
from blocker.store.overlays import OverlayStore
from blocker.store.provider_state import ProviderStateStore
from blocker.store.rules_versions import RulesVersionNotFound, RulesVersionStore
from blocker.store.schedule import ScheduleStore
from blocker.store.sessions import SessionStore
from blocker.store.sync_state import SyncStateStore
from blocker.store.team_groups import TeamGroupStore
from blocker.store.teams import TeamStore


class Store(
    SyncStateStore,
    TeamStore,  # users' roles, who may join, user sessions (on top of AccountStore)
    AccountStore,
    ChannelStore,
    RulesVersionStore,
    OverlayStore,  # each user's overlay on the team template
    ScheduleStore,
    SessionStore,
    ProviderStateStore,
    TokenStore,  # personal API tokens (prefix + hash of the secret)
    TeamGroupStore,  # named teams, their members and leads (the lead's view)
    AuditStore,  # who changed what
):
    """SQLAlchemy-backed state; every method is one short, thread-safe transaction."""


__all__ = [
    "RulesVersionNotFound",
    "Store",
    "UnknownCalendar",
    "describe_engine",
    "unreachable",
]
