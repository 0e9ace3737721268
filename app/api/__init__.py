"""HTTP surface: blueprints for alerts in, the REST API, health and the web page."""
