"""Secure messaging with the billing office: threads, messages, read state, reply dates, notices.

One service shape (see portal.services): `def use_case(session, /, *, actor, ...) -> FrozenView`.
"""
