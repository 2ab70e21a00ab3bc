"""What things are and how they change: models, rules, services and storage."""
