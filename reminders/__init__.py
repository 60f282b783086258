"""Deadlines, reminders, escalation and delivery."""
