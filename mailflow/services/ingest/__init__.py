"""Mail coming in: the pollers, exactly-once ingest, registration (step 1), quarantine."""
