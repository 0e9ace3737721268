"""An incident's life: open, acknowledge, resolve, hand over, its responders and its timeline."""
