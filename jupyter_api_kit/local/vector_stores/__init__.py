"""Vector stores and file search: `routes`, `store` (stores, their files and batches), `ingest`
(reading, chunking and embedding files in the background), `chunking` and `search` (filters and
ranking).
"""
