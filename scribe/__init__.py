"""Service core and the visit pipeline: settings, database, jobs, audit, transcript, draft note."""
