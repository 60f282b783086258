"""Connector to a CKAN data portal: the client, the field mapping, and the registry sync."""
