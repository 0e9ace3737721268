"""Phone: SMS shaping and limits, SMS replies, page calls and contact state."""
