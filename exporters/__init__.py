"""Everything that goes out: ERP export mappings and connectors, file exports and reports."""
