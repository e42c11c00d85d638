"""Protocol-faithful fakes of the Microsoft identity platform and Microsoft Graph.

They speak the wire protocol the real clients (msal, httpx) speak, so tests use the
real libraries end to end on loopback instead of mocking their internals.
"""
