"""Uploaded files: `routes` (upload, list, retrieve, delete, content) and `store` (bytes on disk
under the file id, size and sha256 in SQLite).
"""
