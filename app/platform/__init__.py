"""What every part stands on: settings, the runtime, the database, the clock, jobs and metrics."""
