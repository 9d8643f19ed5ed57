"""Pure converters from OpenAI API JSON to tidy pandas DataFrames.

Every function takes what the API returns (plain dicts and lists, the
client's dict-like results, pages with a ``.data`` list) and returns a new
DataFrame; nothing here talks to the network or to IPython.

- :func:`choices`: one row per choice of a (chat) completion or stream.
- :func:`usage`: token usage, one row per response.
- :func:`logprobs`: one row per generated token, with rank and entropy.
- :func:`top_logprobs`: one row per reported alternative token.
- :func:`to_frame`: one row per item of any list object.

Example:
    >>> from jupyter_api_kit import frames
    >>> frames.to_frame({"object": "list", "data": [{"id": "m1", "object": "model"}]})
       id object
    0  m1  model
"""

from jupyter_api_kit.frames.chat import choices, usage
from jupyter_api_kit.frames.embeddings import (embeddings_array, embeddings_frame, moderation_scores, similarity,
                                               similarity_plot)
from jupyter_api_kit.frames.evals import eval_criteria, eval_output_items, eval_runs, pass_rate_plot
from jupyter_api_kit.frames.fine_tuning import fine_tuning_events, fine_tuning_metrics, loss_plot
from jupyter_api_kit.frames.lists import to_frame
from jupyter_api_kit.frames.retrieval import search_results, vector_store_files, vector_stores
from jupyter_api_kit.frames.logprobs import logprobs, top_logprobs
from jupyter_api_kit.frames.organization import audit_events
from jupyter_api_kit.frames.usage import costs, usage_buckets, usage_plot
from jupyter_api_kit.frames.threads import messages as thread_messages, run_steps, runs as thread_runs, transcript
from jupyter_api_kit.frames.chat import usage  # again: importing the submodule `frames.usage` rebinds the name

__all__ = ["choices", "logprobs", "to_frame", "top_logprobs", "usage"]
