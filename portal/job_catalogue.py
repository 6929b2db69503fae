"""The job catalogue: each scheduled job's id, the dotted reference of its function, and its schedule.

Imports nothing from `portal`, so every layer may read it: the scheduler registers these jobs, the
runner (`portal.jobs.runs.execute`) looks up a job's function here, and the staff jobs page
(`portal.services.operations`) lists them with `describe`.
"""
from __future__ import annotations

# id -> (callable reference, trigger, trigger arguments)
JOBS: dict[str, tuple[str, str, dict[str, object]]] = {
    'housekeeping': ('portal.jobs.housekeeping:run', 'cron', {'hour': 3, 'minute': 15}),
    'deliver_notifications': ('portal.jobs.notifications:run', 'interval', {'minutes': 1}),
    'reminders': ('portal.jobs.reminders:run', 'cron', {'hour': 8, 'minute': 30, 'misfire_grace_time': 12 * 3600,
                                                        'coalesce': True}),
    'statement_run': ('portal.jobs.statements:run', 'cron', {'hour': 6, 'minute': 0}),
    'reconcile_payments': ('portal.jobs.payments:run', 'interval', {'minutes': 10}),
    'autopay_installments': ('portal.jobs.autopay:scheduled', 'cron', {'hour': 9, 'minute': 0}),
    'staff_message_digest': ('portal.jobs.staff_digest:run', 'cron', {'hour': 7, 'minute': 45,
                                                                    'misfire_grace_time': 12 * 3600, 'coalesce': True}),
}


def describe(trigger: str, arguments: dict[str, object]) -> str:
    """A schedule in words, for the staff jobs page."""
    if trigger == 'interval':
        parts = [f'{value} {unit}' for unit, value in arguments.items()
                 if unit in {'weeks', 'days', 'hours', 'minutes', 'seconds'}]
        return 'Every ' + ', '.join(parts).replace('1 minutes', 'minute').replace('1 hours', 'hour')
    if trigger == 'cron':
        hour, minute = arguments.get('hour', '*'), arguments.get('minute', 0)
        if str(hour).isdigit() and str(minute).isdigit() and set(arguments) <= {
                'hour', 'minute', 'misfire_grace_time', 'coalesce', 'max_instances'}:
            return f'Daily at {int(hour):02d}:{int(minute):02d}'
        fields = {key: value for key, value in arguments.items()
                  if key not in {'misfire_grace_time', 'coalesce', 'max_instances'}}
        return 'Cron ' + ' '.join(f'{key}={value}' for key, value in fields.items())
    return trigger
