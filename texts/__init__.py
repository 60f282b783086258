"""Words for people: the message catalogues and templates, and Indonesian number and date formats.

A leaf package: storage, reminders, reports and handlers all speak through it.
"""
