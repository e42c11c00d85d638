"""Teams: who may use the service and how they prove it (issue 20).

:mod:`blocker.auth.oidc` signs people in with Google or Microsoft (OpenID Connect);
:mod:`blocker.auth.signin` keeps the sign-ins in flight and decides who may come in,
with the users, roles, invitations and allowed domains of :mod:`blocker.store.teams`.
:mod:`blocker.auth.tokens` makes and checks users' personal API tokens. The shared
API token stays the admin and automation credential.
"""
