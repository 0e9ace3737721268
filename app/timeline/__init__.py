"""An incident's record: its timeline entries, and the change feed that tells the channels of each change."""
