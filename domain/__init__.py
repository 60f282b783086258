"""The pure domain: periods, calendars, due rules, the reminder cadence and Telegram's limits.

Nothing here reads a clock, a file or a database; callers pass `now`. Every other package may
import it, and it imports none of them.
"""
