"""Interop: FHIR R4, X12 835 remittances, CSV import and export."""
