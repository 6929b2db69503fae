"""Self-service payment plans, one module per concern: `signing` (what a patient may choose, the signed plan),
`tracking` (an open plan's progress and the changes the policy allows), `paying` (paying the next installment
now), `coverage` (where a plan stands, derived from the ledger), `schedules` (the pure arithmetic of a
schedule), `policy_card` (the limits staff set), `queues` (the staff view), `notices` (emails about a plan).
"""
