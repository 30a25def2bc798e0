import pytest

# Before tests.fixtures is first imported: the asserts in its helpers report what they compared.
pytest.register_assert_rewrite("tests.fixtures")
