"""Outgoing messages: the outbox (one row per message, deduplicated), templates, SMTP delivery."""
