"""API facts the client and the local server share, written once: limits, roles, usage kinds and
bucket widths and groups, filter comparisons. Both sides import them; neither keeps its own copy.

They come from the OpenAI API's documentation and description (the metadata limits, for one, are
stated in its prose, not its schemas).

Example:
    >>> MAX_METADATA_PAIRS, MAX_METADATA_KEY, MAX_METADATA_VALUE
    (16, 64, 512)
    >>> BUCKET_SECONDS["1h"], BUCKET_LIMITS["1d"]
    (3600, (7, 31))
    >>> "nin" in COMPARISONS, "and" in COMPOUND_FILTERS
    (True, True)
    >>> USAGE_GROUPS["vector_stores"], COST_BUCKET_LIMITS
    (('project_id',), (7, 180))
"""

#: metadata: at most 16 pairs, keys up to 64 characters, values up to 512, strings only (a vector store
#: file's attributes share these limits, and may also hold numbers and booleans)
MAX_METADATA_PAIRS = 16
MAX_METADATA_KEY = 64
MAX_METADATA_VALUE = 512

#: who may speak in a chat completion's messages (and in fine-tuning training lines)
CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
#: who may speak in a Responses input message, an eval's item template, a conversation item
INPUT_ROLES = ("user", "assistant", "system", "developer")
#: who may write a thread's message (Assistants)
MESSAGE_ROLES = ("user", "assistant")
#: a project member's role
PROJECT_ROLES = ("owner", "member")
#: an organization user's (and an invite's) role
ORG_ROLES = ("owner", "reader")

#: the organization usage endpoints, one per kind (`GET /organization/usage/{kind}`)
USAGE_KINDS = ("completions", "embeddings", "moderations", "images", "audio_speeches", "audio_transcriptions",
               "vector_stores", "code_interpreter_sessions", "file_search_calls", "web_search_calls")
#: a usage bucket's width in seconds, by its `bucket_width` name
BUCKET_SECONDS = {"1m": 60, "1h": 3600, "1d": 86400}
#: (default, maximum) buckets per page, by bucket width
BUCKET_LIMITS = {"1m": (60, 1440), "1h": (24, 168), "1d": (7, 31)}
#: what each usage kind can be grouped by (`group_by`)
_WHO = ("project_id", "user_id", "api_key_id", "model")
USAGE_GROUPS = {
    "completions": (*_WHO, "batch", "service_tier"),
    "embeddings": _WHO,
    "moderations": _WHO,
    "images": (*_WHO, "size", "source"),
    "audio_speeches": _WHO,
    "audio_transcriptions": _WHO,
    "vector_stores": ("project_id",),
    "code_interpreter_sessions": ("project_id",),
    "file_search_calls": ("project_id", "user_id", "api_key_id", "vector_store_id"),
    "web_search_calls": (*_WHO, "context_level"),
}
#: costs (`GET /organization/costs`): grouped by these, always in 1d buckets, (default, maximum) per page
COST_GROUPS = ("project_id", "line_item", "api_key_id")
COST_BUCKET_LIMITS = (7, 180)

#: attribute filters of file search: comparisons and the compounds that combine them
COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin")
COMPOUND_FILTERS = ("and", "or")
#: time-range filters (audit logs' `effective_at`), by name, as SQL operators
RANGE_OPERATORS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
#: operations of a `string_check` grader
STRING_CHECK_OPERATIONS = ("eq", "ne", "like", "ilike")
