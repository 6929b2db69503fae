"""Use-cases, one module per area: the only writers of the database.

One shape for every use-case (new code copies it; older functions move to it as they are touched)::

    def use_case(session: Session, /, *, actor: Actor, ...) -> SomethingView:

- `session` comes first and positional-only: the caller (a page through `components.calls.write` or
  `read`, a job, the CLI) owns the transaction; a use-case never commits. Everything else is
  keyword-only, starting with `actor` (`portal.auth.permissions.Actor`: who acts, their role, their IP).
- A use-case that must call out between transactions (the payment gateway, SMTP, argon2, a file
  store, a batch committed in slices) opens its own sessions instead and takes no session:
  `def use_case(*, actor, ...)`, everything keyword-only all the same (pages run it through
  `components.calls.call`).
- `actor` is there whenever a signed-in person acts (every patient and staff page). Nobody acts for a
  job (the scheduler sweeps due work; its audit rows have no actor) or for the CLI (the operator at the
  server's shell): those use-cases take no actor. Before sign-in (sign-in, registration, password
  reset, guest pay, an invite) there is no actor yet: the use-case takes what identifies the
  request instead (`ip`, a token, a grant).
- It returns a frozen view dataclass (`@dataclass(frozen=True)`), a tuple of them, a plain value (an id, a
  count, a text, a date; or a dict of them, such as payer id -> name) or None: plain values in minor
  units and dates, never table rows, so a page only lays them out.
- Access is refused by `portal.auth.permissions.require_*` (`require_account`, `require_staff`,
  `require_admin`) before anything is read: a refusal is `Refused`, a `NotFound` (a 404 to the
  person, exactly as for a changed id), and the helper audits it once; callers do not audit or catch
  refusals themselves.
- Functions that never reach the database (parse a date, check an upload's bytes, build a schedule)
  are plain helpers, not use-cases, and may take positional arguments.
- `tests/unit/services/test_service_shape.py` finds every use-case a page, component, job, the CLI or
  main.py calls and checks this shape (and that one called from a patient or staff page takes the
  actor); its NOT_YET list names the ones still to convert and only shrinks. It also refuses a
  hand-written guard (`if not actor.is_staff: raise NotFound()`): that refusal would go unaudited.
- Bad input raises a `DomainError` whose message a patient can read (`ValidationFailed` with field
  errors); the page shows it and nothing changes.
"""
