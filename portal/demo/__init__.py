"""Demo data: reference data (billing codes, payers, names, places) and the generators that turn it
into a realistic practice. portal.services.seed is the entry point; nothing here runs on import."""
