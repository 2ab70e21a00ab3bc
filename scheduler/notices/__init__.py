"""What jobs and handlers both say: the texts and buttons of notifications (backup calls,
report cards, patrol tasks, statistics), rendered here so that jobs (scheduler/) never import
handlers/ and handlers import them from below."""
