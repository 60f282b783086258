"""Transports (Telegram, console, one-shot ask), wiring and the command line."""
