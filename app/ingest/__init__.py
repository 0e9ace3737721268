"""Taking alerts in: parsing and classifying events, dedup into incidents, the few Core statements that store them."""
