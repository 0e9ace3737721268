"""Escalation: who is on call, the pure stepping rules (`stepping`), the engine that runs them, simulation."""
