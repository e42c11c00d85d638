"""Pieces several test suites share: a loopback uvicorn server, polling, a rules file."""
