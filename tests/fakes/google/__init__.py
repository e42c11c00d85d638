"""A protocol-faithful Google Calendar v3 + OAuth fake served on loopback for tests."""

from tests.fakes.google.server import FakeGoogle, Logged, run_fake_google

__all__ = ["FakeGoogle", "Logged", "run_fake_google"]
