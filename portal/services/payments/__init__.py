"""Payments: attempts and charges (core), the one event handler (events, applying payment_events and
refund_events; deliveries queues and batches them), allocation, the pay page's use-cases (checkout), guest
quick pay, saved methods, receipts, refunds and offline payments (staff).

Import what you need from here; the submodules hold the code.
"""
from portal.services.payments.attempts import open_attempt
from portal.services.payments.core import ChargeOutcome, charge_saved_method, new_key, outcome_of
from portal.services.payments.deliveries import process_events
from portal.services.payments.events import apply_event, apply_intent_state, record_and_apply
from portal.services.payments.hosted_checkout import checkout_for_attempt, customer_for
from portal.services.payments.methods import add_demo_method

__all__ = ['ChargeOutcome', 'add_demo_method', 'apply_event', 'apply_intent_state', 'charge_saved_method',
           'checkout_for_attempt', 'customer_for', 'new_key', 'open_attempt', 'outcome_of',
           'process_events', 'record_and_apply']
