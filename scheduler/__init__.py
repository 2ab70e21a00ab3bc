"""What happens in time: job callbacks, timers kept as rows and re-armed at start."""
