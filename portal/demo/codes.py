"""The billing code reference moved to portal.reference.codes (statements use it, not only the demo)."""
from portal.reference.codes import (  # noqa: F401  (re-exported for older imports)
    GROUP_CODES,
    AdjustmentReason,
    Procedure,
    RemarkCode,
    adjustment_reasons,
    explain_adjustment,
    explain_remark,
    procedures,
    remark_codes,
)
