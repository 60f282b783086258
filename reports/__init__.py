"""Words and pictures for people: summaries, digests, charts and their templates."""
