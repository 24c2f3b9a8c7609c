"""Everything that comes in: budget files, ERP vendor lists and job-cost loads, all through one
pipeline (read -> find header -> map headers -> parse cells -> validate -> plan -> apply -> record)."""
