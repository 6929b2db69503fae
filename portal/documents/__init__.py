"""Documents: statement and receipt PDFs (fpdf2 with an embedded Unicode font), calendar files."""
