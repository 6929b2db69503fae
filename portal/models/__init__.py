"""SQLModel tables, one module per area. Importing this package registers every table."""
from sqlmodel import SQLModel

# stable constraint names, so migrations read the same on SQLite and PostgreSQL
SQLModel.metadata.naming_convention = {
    'ix': 'ix_%(column_0_label)s',
    'uq': 'uq_%(table_name)s_%(column_0_name)s',
    'ck': 'ck_%(table_name)s_%(constraint_name)s',
    'fk': 'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s',
    'pk': 'pk_%(table_name)s',
}

from portal.models.accounts import AccountFlag, FlagKind, GuarantorAccount, Patient
from portal.models.admin import StaffInvite
from portal.models.audit import AuditEvent
from portal.models.care import (
    Appointment,
    AppointmentStatus,
    Charge,
    Encounter,
    Estimate,
    Location,
    Provider,
    ProviderAvailability,
)
from portal.models.desk import AccountNote, AdjustmentReason, AdjustmentRequest, AdjustmentStatus
from portal.models.files import StoredFile
from portal.models.insurance import Claim, ClaimAdjustment, ClaimStatus, ClaimStatusEvent, Coverage, Payer
from portal.models.ledger import LedgerEntry, LedgerKind
from portal.models.live import LiveEvent
from portal.models.messaging import (
    AuthorRole,
    Message,
    MessageThread,
    ThreadCategory,
    ThreadRead,
    ThreadStatus,
)
from portal.models.messaging_staff import SavedReply
from portal.models.notify import Notification, NotificationPreference
from portal.models.payments import (
    AttemptStatus,
    GatewayCustomer,
    Payment,
    PaymentAllocation,
    PaymentAttempt,
    PaymentStatus,
    Refund,
    RefundStatus,
    SavedPaymentMethod,
    WebhookEvent,
)
from portal.models.plans import (
    InstallmentStatus,
    PaymentPlan,
    PlanHeldCharge,
    PlanInstallment,
    PlanPolicy,
    PlanStatus,
)
from portal.models.receivables import ChargeBalance, LedgerDay, ReceivableRollup, ReceivableTotal, Responsibility
from portal.models.remittance import (
    MatchState,
    ProviderLevelAdjustment,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceLine,
    RemittancePosting,
)
from portal.models.schedule import AppointmentGranule, ExceptionKind, ScheduleException, VisitType
from portal.models.statements import Statement, StatementRun
from portal.models.system import JobRun, PracticeSettings
from portal.models.users import AccountAccess, PasswordResetToken, RateLimitHit, Role, SessionHandoff, User

__all__ = [
    'AccountNote', 'AdjustmentReason', 'AdjustmentRequest', 'AdjustmentStatus',
    'AccountAccess', 'AccountFlag', 'AttemptStatus', 'ClaimStatus', 'FlagKind', 'PaymentStatus', 'RefundStatus',
    'AuthorRole', 'ThreadCategory', 'ThreadRead', 'ThreadStatus', 'Appointment', 'AuditEvent',
    'Charge', 'Claim',
    'ClaimAdjustment', 'ClaimStatusEvent', 'Coverage', 'Encounter', 'Estimate', 'GatewayCustomer', 'GuarantorAccount',
    'InstallmentStatus', 'JobRun', 'LedgerEntry', 'LedgerKind', 'Location', 'Message', 'MessageThread', 'Notification',
    'NotificationPreference', 'PasswordResetToken', 'Patient', 'Payer', 'Payment', 'PaymentAllocation',
    'PaymentAttempt', 'PaymentPlan', 'PlanHeldCharge', 'PlanInstallment', 'PlanPolicy', 'PlanStatus',
    'PracticeSettings', 'Provider',
    'SessionHandoff', 'LiveEvent', 'StaffInvite',
    'ProviderAvailability', 'RateLimitHit', 'Refund', 'Role', 'SavedPaymentMethod', 'SavedReply', 'Statement',
    'StatementRun', 'StoredFile', 'User', 'WebhookEvent',
    'AppointmentGranule', 'AppointmentStatus', 'ExceptionKind', 'ScheduleException', 'VisitType',
    'MatchState', 'ProviderLevelAdjustment', 'Remittance', 'RemittanceAdjustment', 'RemittanceClaim',
    'RemittanceLine', 'RemittancePosting',
    'ChargeBalance', 'LedgerDay', 'ReceivableRollup', 'ReceivableTotal', 'Responsibility',
]
