"""Secure messaging between patients and the billing office (issue 14)."""
