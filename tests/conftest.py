"""Suite-wide test setup."""

import pytest

# The shared provider contract lives in a helper module imported by several test
# packages: register it before any of them imports it so its asserts are rewritten.
pytest.register_assert_rewrite("tests.providers.contract")
