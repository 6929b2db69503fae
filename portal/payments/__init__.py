"""Payments: the gateway protocol, the Stripe and demo gateways, and webhook handling."""
