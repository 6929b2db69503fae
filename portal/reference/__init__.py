"""Reference data shipped with the portal: billing codes and their plain-language meanings (CSV)."""
