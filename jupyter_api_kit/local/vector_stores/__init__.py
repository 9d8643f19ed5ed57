"""Vector stores and file search: `routes`, `store` (stores, their files and batches in SQLite),
`engine` (reading, chunking and embedding files: the ingest jobs), `chunking` and `search` (filters and
ranking).
"""
