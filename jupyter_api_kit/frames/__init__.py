"""Pure converters from OpenAI API JSON to tidy pandas DataFrames.

Every function takes what the API returns (plain dicts and lists, the
client's dict-like results, pages with a ``.data`` list) and returns a new
DataFrame; nothing here talks to the network or to IPython.

- :func:`choices`: one row per choice of a (chat) completion or stream.
- :func:`usage`: token usage, one row per response.
- :func:`logprobs`: one row per generated token, with rank and entropy.
- :func:`top_logprobs`: one row per reported alternative token.
- :func:`logprobs_view`: the answer as tokens shaded by probability, alternatives on hover (HTML).
- :func:`readable`: a DataFrame shown with money as money and long text wide (`frames/readable.py`).
- :func:`to_frame`: one row per item of any list object.
- threads (`frames/threads.py`): thread_messages, thread_runs, run_steps, transcript.
- conversations (`frames/conversations.py`): conversation_items, conversation_responses, response_steps,
  conversation_transcript.
- retrieval (`frames/retrieval.py`, `frames/embeddings.py`): search_results, vector_stores, vector_store_files,
  embeddings_frame, embeddings_array, similarity, similarity_plot, moderation_scores.
- evals and fine-tuning (`frames/evals.py`, `frames/fine_tuning.py`): eval_runs, eval_output_items, eval_criteria,
  pass_rate_plot, fine_tuning_events, fine_tuning_metrics, loss_plot.
- organization (`frames/usage_buckets.py`, `frames/organization.py`): usage_buckets, costs, usage_plot, audit_events.

Example:
    >>> from jupyter_api_kit import frames
    >>> frames.to_frame({"object": "list", "data": [{"id": "m1", "object": "model"}]})
       id object
    0  m1  model
"""

from jupyter_api_kit.frames.chat import choices, usage
from jupyter_api_kit.frames.conversations import items as conversation_items, response_steps
from jupyter_api_kit.frames.conversations import responses as conversation_responses
from jupyter_api_kit.frames.conversations import transcript as conversation_transcript
from jupyter_api_kit.frames.embeddings import (embeddings_array, embeddings_frame, moderation_scores, similarity,
                                               similarity_plot)
from jupyter_api_kit.frames.evals import eval_criteria, eval_output_items, eval_runs, pass_rate_plot
from jupyter_api_kit.frames.fine_tuning import fine_tuning_events, fine_tuning_metrics, loss_plot
from jupyter_api_kit.frames.lists import to_frame
from jupyter_api_kit.frames.logprobs import logprobs, top_logprobs
from jupyter_api_kit.frames.logprobs_view import LogprobsView, logprobs_view
from jupyter_api_kit.frames.organization import audit_events
from jupyter_api_kit.frames.readable import ReadableFrame, money, readable
from jupyter_api_kit.frames.retrieval import search_results, vector_store_files, vector_stores
from jupyter_api_kit.frames.threads import messages as thread_messages, run_steps, runs as thread_runs, transcript
from jupyter_api_kit.frames.usage_buckets import costs, usage_buckets, usage_plot

__all__ = [
    "LogprobsView", "ReadableFrame", "audit_events", "choices", "conversation_items", "conversation_responses",
    "conversation_transcript", "costs", "embeddings_array", "embeddings_frame", "eval_criteria", "eval_output_items",
    "eval_runs", "fine_tuning_events", "fine_tuning_metrics", "logprobs", "logprobs_view", "loss_plot",
    "moderation_scores", "money", "pass_rate_plot", "readable", "response_steps", "run_steps", "search_results",
    "similarity", "similarity_plot", "thread_messages", "thread_runs", "to_frame", "top_logprobs", "transcript",
    "usage", "usage_buckets", "usage_plot", "vector_store_files", "vector_stores",
]
