"""API facts the client and the local server share, written once: limits, roles, usage kinds and
bucket widths, filter comparisons. Both sides import them; neither keeps its own copy.

They come from the OpenAI API's documentation and description (the metadata limits, for one, are
stated in its prose, not its schemas).

Example:
    >>> MAX_METADATA_PAIRS, MAX_METADATA_KEY, MAX_METADATA_VALUE
    (16, 64, 512)
    >>> BUCKET_SECONDS["1h"], BUCKET_LIMITS["1d"]
    (3600, (7, 31))
    >>> "nin" in COMPARISONS, "and" in COMPOUND_FILTERS
    (True, True)
"""

#: metadata: at most 16 pairs, keys up to 64 characters, values up to 512, strings only
MAX_METADATA_PAIRS = 16
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 512

#: who may speak in a chat completion's messages (and in fine-tuning training lines)
CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
#: who may speak in a Responses input message, an eval's item template, a conversation item
INPUT_ROLES = ("user", "assistant", "system", "developer")
#: a project member's role
PROJECT_ROLES = ("owner", "member")

#: the organization usage endpoints, one per kind (`GET /organization/usage/{kind}`)
USAGE_KINDS = ("completions", "embeddings", "moderations", "images", "audio_speeches", "audio_transcriptions",
               "vector_stores", "code_interpreter_sessions", "file_search_calls", "web_search_calls")
#: a usage bucket's width in seconds, by its `bucket_width` name
BUCKET_SECONDS = {"1m": 60, "1h": 3600, "1d": 86400}
#: (default, maximum) buckets per page, by bucket width
BUCKET_LIMITS = {"1m": (60, 1440), "1h": (24, 168), "1d": (7, 31)}

#: attribute filters of file search: comparisons and the compounds that combine them
COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin")
COMPOUND_FILTERS = ("and", "or")
#: time-range filters (audit logs' `effective_at`), by name, as SQL operators
RANGE_OPERATORS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
#: operations of a `string_check` grader
STRING_CHECK_OPERATIONS = ("eq", "ne", "like", "ilike")
