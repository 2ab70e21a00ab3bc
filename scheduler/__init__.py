"""What happens in time: job callbacks, the escalation engine, the patrol planner, timers kept
as rows and re-armed at start. (`scheduler.registry` wires every timer kind.)"""
