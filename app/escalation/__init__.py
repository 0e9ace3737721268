"""Escalation: the pure stepping rules (`stepping`) and the database engine that runs them (`engine`)."""
