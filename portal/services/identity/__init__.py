"""Identity use-cases, one module per flow: `sessions` (sign-in, sign-out, is a sign-in still valid),
`registration`, `password_changes` (reset and change), `two_step` (TOTP), `admin` (users made from the
command line, housekeeping); `shared` holds what they have in common (the Identity view, email and
new-password checks, lockout keys).

Each function opens its own sessions. Argon2 runs between transactions, never inside a write
transaction. Failures that must be remembered (rate-limit hits, audit rows) are committed first
and the error is raised after the transaction closes. Messages never reveal whether an email is
registered. Field errors are keyed by the field they are about: 'password' and 'password_confirm'
for a new password (whatever the argument is called), 'current_password', 'email', and so on.
"""
