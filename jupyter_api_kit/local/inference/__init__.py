"""Model inference every feature uses: `engine` (which model answers, generation, logprob entries,
the prompt cache), `tools` (tool choice), and the routes of the model endpoints: `/models`
(`routes`), `/embeddings`, `/moderations` and the legacy `/completions`.
"""
