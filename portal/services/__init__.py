"""Use-cases, one module per area: the only writers of the database.

One shape for every use-case (new code copies it; older functions move to it as they are touched)::

    def use_case(session: Session, /, *, actor: Actor, ...) -> SomethingView:

- `session` comes first and positional-only: the caller (a page through `components.calls.write` or
  `read`, a job, the CLI) owns the transaction; a use-case never commits. Everything else is
  keyword-only, starting with `actor` (`portal.auth.permissions.Actor`: who acts, their role, their IP).
- It returns frozen view dataclasses (`@dataclass(frozen=True)`): plain values in minor units and
  dates, never table rows, so a page only lays them out.
- Access is refused by `portal.auth.permissions.require_*` (`require_account`, `require_staff`,
  `require_admin`) before anything is read: a refusal is `Refused`, a `NotFound` (a 404 to the
  person, exactly as for a changed id), and the helper audits it once; callers do not audit or catch
  refusals themselves.
- Bad input raises a `DomainError` whose message a patient can read (`ValidationFailed` with field
  errors); the page shows it and nothing changes.
"""
