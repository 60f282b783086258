"""Transport-agnostic conversation logic: incoming message in, replies out."""
