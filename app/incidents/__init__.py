"""An incident's life: open, acknowledge, resolve, hand over or reassign, its severity, its command
(responders, subscribers, status updates) and its review."""
