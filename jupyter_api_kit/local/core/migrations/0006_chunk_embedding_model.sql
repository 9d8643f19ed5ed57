-- Which model embedded each vector store chunk: a query is compared only with chunks embedded by the
-- model that embeds the query (local-embed, or an upstream engine's model in gateway mode).
ALTER TABLE vector_store_chunks ADD COLUMN embedding_model TEXT NOT NULL DEFAULT 'local-embed';
