"""Sign-in building blocks: password hashing and rules, rate limits, TOTP, sessions and permissions."""
