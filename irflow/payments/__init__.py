"""Grant payments: the instalments of each participant's grant (operations.py)."""
