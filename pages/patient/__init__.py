"""Pages for patients and guarantors."""
