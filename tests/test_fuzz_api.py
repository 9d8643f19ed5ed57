"""Schemathesis fuzz of every operation the local server serves, over real HTTP against `jupyter-api-kit serve`.

The requests come from the official OpenAPI description (normalised as `tests/contract.py` does), filtered to
the operations of `jupyter_api_kit/spec/operations.tsv`. Per operation, Schemathesis generates requests that
follow the description (positive mode) and requests that break it (negative mode), with a fixed budget and
derandomized, so a run is repeatable. Path ids name real objects of the seeded server (`served_world`) in
every negative request and in about half of the positive ones (the others get generated ids); about half of
the positive bodies also name a local model and real objects, so they get past "no such model" to the work.

Each answer is held to:

* no 5xx, and an answer within `SLOW` seconds;
* a 2xx body that follows the operation's response schema (Schemathesis' `response_schema_conformance`);
* every 4xx is the API's error object `{"error": {"message", "type", "param", "code"}}`, its message one line;
* an invalid request of the coverage phase is refused with a 4xx that says so (`REFUSALS`; Schemathesis'
  `negative_data_rejection`), except for the documented leniencies of `LENIENT` and the known gaps of
  `NOT_YET_REFUSED`, each named by operation and by how the request breaks the description; an entry that
  no longer happens fails too, so both lists only ever shrink to what is true. Invalid requests that
  Hypothesis generates are held to the first three rules, and those accepted are counted in the table, not
  failed: which ones Hypothesis draws depends on the constants of every module loaded (it mixes them into
  its draws), so a change anywhere in the code, or another selection of tests, changes them; the coverage
  phase's requests depend on the description alone.

The pytest summary prints a table of the operations that accepted invalid requests, with how many.
Budget and settings: up to `COVERAGE` coverage-phase requests per operation, then `EXAMPLES` generated ones
per mode, under Hypothesis settings `derandomize=True, database=None, deadline=None`, generation phase only
(nothing is shrunk: every problem is collected and reported with its curl line).
"""

from __future__ import annotations

import copy
import itertools
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

import pytest
import requests

from jupyter_api_kit.spec.operations import operations
from tests.served_world import MODEL, kind_of

#: invalid requests per operation from Schemathesis' coverage phase (one per way to break the description,
#: shallowest first), out of the first COVERAGE_SCAN it lists
COVERAGE, COVERAGE_SCAN = 80, 4000
#: requests per operation and mode from Schemathesis' property-based generation
EXAMPLES = {"positive": 8, "negative": 5}
#: an answer slower than this is a problem (the local models answer a short request in well under a second)
SLOW = 10.0
TIMEOUT = (5, 30)
MAX_MESSAGE = 1000
#: how a server refuses an invalid request: a malformed one (400, 422), one whose ids name nothing (404),
#: one that conflicts with the object's state (409), too large (413), in a media type it does not take (415)
REFUSALS = ("400", "404", "409", "413", "415", "422")

#: Documented leniencies: invalid requests (operation, how Schemathesis says the request breaks the
#: description) that the real API accepts, so the local server does too; with the evidence.
_FILE_SEARCH_EMPTY = ("the official SDK's request type has both `vector_store_ids` and `vector_stores` of "
                      "`tool_resources.file_search` optional (TypedDict total=False): an empty one names no store")
LENIENT: dict[tuple[str, str], str] = {
    ("createAssistant", "tool_resources -> file_search -> Missing required property: vector_store_ids"):
        _FILE_SEARCH_EMPTY,
    ("createThread", "tool_resources -> file_search -> Missing required property: vector_store_ids"):
        _FILE_SEARCH_EMPTY,
}

#: Known gaps: invalid requests the local server still accepts although the real API refuses them (the
#: official SDK's request types say so too). Listed so they stay visible in every run; to be refused.
NOT_YET_REFUSED: dict[tuple[str, str], str] = {
    **{(operation, f"{field} -> Array with invalid items: Missing required property: {name}"):
       "a `file_search_call` input item needs `id`, `queries` and `status` (Required in the SDK's type)"
       for operation, field in (("Getinputtokencounts", "input"), ("createConversation", "items"))
       for name in ("id", "queries", "status")},
}

#: path parameters whose operations delete or end the object they name: run last, children before parents,
#: so that every other operation meets the seeded objects alive
_ENDING = ("cancel", "pause", "resume", "archive")


def _order(op) -> tuple:
    oid = op.operation_id.lower()
    if op.method == "DELETE":
        return (2, -op.path.count("{"), op.path)
    return (1 if any(word in oid for word in _ENDING) else 0, 0, "")


def fuzzed_operations() -> list[str]:
    """The served operations the description has, those that delete or end objects last."""
    return [op.operation_id for op in sorted((op for op in operations() if op.operation_id), key=_order)]


@dataclass
class Tally:
    """What one operation's fuzz sent and got."""

    sent: Counter = field(default_factory=Counter)  # mode -> requests
    statuses: Counter = field(default_factory=Counter)  # (mode, status class "2xx"...) -> requests
    #: invalid requests of the coverage phase answered 2xx/3xx: (how the request breaks the description,
    #: status and curl line)
    accepted: list[tuple[str, str]] = field(default_factory=list)
    #: the same for invalid requests Hypothesis generated (counted, not failed: see the module's docstring)
    generated_accepted: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # everything else that is wrong


#: operation id -> its tally, for the summary table (`tests/conftest.py` prints it)
TALLIES: dict[str, Tally] = {}


class Fuzz:
    """The Schemathesis schema of the served operations and the seeded server they are sent to."""

    def __init__(self, contract, served):
        import schemathesis

        self.served = served
        config = schemathesis.Config.from_dict({
            "checks": {"negative_data_rejection": {"expected-statuses": list(REFUSALS)}},
            # the report shows the requests as sent (no key is secret here: the server is a throwaway)
            "output": {"sanitization": {"enabled": False}}})
        self.schema = schemathesis.openapi.from_dict(fuzzable(contract.doc), config=config)
        self.schema = self.schema.include(operation_id=fuzzed_operations())
        self.operations = {result.ok().definition.raw["operationId"]: result.ok()
                           for result in self.schema.get_all_operations()}
        self.session = requests.Session()

    @cached_property
    def checks(self):
        from schemathesis.checks import not_a_server_error
        from schemathesis.specs.openapi.checks import negative_data_rejection, response_schema_conformance

        # an error is held to the API's error object instead (`error_object_problem`), as `tests/contract.py`
        # does: the description declares a bare `Error` for some errors of evals and responses, which the
        # API sends inside the `{"error": ...}` envelope like every other error
        return {"2xx": [not_a_server_error, response_schema_conformance, negative_data_rejection],
                "error": [not_a_server_error, negative_data_rejection]}

    def real_ids(self, operation) -> dict[str, str]:
        oid, path = operation.definition.raw["operationId"], operation.path
        return {p.name: self.served.world[kind_of(oid, path, p.name)] for p in operation.path_parameters}

    def strategy(self, operation, mode):
        """Requests of `mode` for `operation`: see the module's docstring for which ids they name."""
        from hypothesis import strategies as st

        real = self.real_ids(operation)
        fixed = operation.as_strategy(generation_mode=mode, path_parameters=real or None)
        if mode.is_negative:
            return fixed.map(self.realistic)
        both = st.one_of(fixed, operation.as_strategy(generation_mode=mode)) if real else fixed
        return st.tuples(both, st.booleans()).map(lambda pair: self.realistic(*pair))

    def realistic(self, case, real: bool = True):
        """`case`, its body's model and object ids replaced by the local model and seeded objects when `real`.
        A field an invalid request breaks is left as it is; the others stay valid: they are strings the
        description does not constrain."""
        w = self.served.world
        if not real or not isinstance(case.body, dict):
            return case
        broken = broken_fields(case)
        for name, value in (("model", MODEL), ("assistant_id", w["assistant"]), ("file_id", w["file"]),
                            ("training_file", w["training_file"])):
            if isinstance(case.body.get(name), str) and name not in broken:
                case.body[name] = value
        return case

    def coverage_cases(self, operation) -> list:
        """Schemathesis' coverage phase for invalid requests: one request per way the description can be
        broken (a wrong type, a missing required field, a value out of range or enum...), at most `COVERAGE`
        of them, the shallowest first; with real path ids and, outside what they break, real body ids."""
        from schemathesis import GenerationMode
        from schemathesis.core.parameters import ParameterLocation

        generated = self.schema.iter_coverage_cases(
            operation, generation_modes=[GenerationMode.NEGATIVE],
            generation_config=self.schema.config.generation_for(operation=operation))
        first: dict[str, object] = {}
        for case in itertools.islice(generated, COVERAGE_SCAN):
            data = case.meta.phase.data
            if data.parameter_location != ParameterLocation.PATH:  # a path id is any string
                first.setdefault(data.description, case)
        chosen = sorted(first.values(), key=lambda case: case.meta.phase.data.description.count(" -> "))
        real = self.real_ids(operation)
        for case in chosen[:COVERAGE]:
            case.path_parameters = {**(case.path_parameters or {}), **real}
            self.realistic(case)
        return chosen[:COVERAGE]

    def send(self, case, tally: Tally) -> None:
        """Send `case`, check the answer, record it in `tally`."""
        from schemathesis.core.failures import AcceptedNegativeData, FailureGroup

        mode = case.meta.generation.mode.value
        path = case.formatted_path
        started = time.monotonic()
        try:
            response = case.call(base_url=self.served.base_url, session=self.session,
                                 headers=self.served.headers(path), timeout=TIMEOUT[1])
        except requests.RequestException as exc:
            tally.problems.append(f"{mode}: {type(exc).__name__}: {exc} for {case.as_curl_command()}")
            return
        took = time.monotonic() - started
        status = response.status_code
        tally.sent[mode] += 1
        tally.statuses[mode, f"{status // 100}xx"] += 1
        if took > SLOW:
            tally.problems.append(f"{mode}: {status} after {took:.1f} s for {self.curl(case)}")
        if "x-request-id" not in response.headers:
            tally.problems.append(f"{mode}: {status} without x-request-id for {self.curl(case)}")
        if 400 <= status < 500:
            if (why := error_object_problem(response)) is not None:
                tally.problems.append(f"{mode}: {status} {why} for {self.curl(case)}")
        try:
            checks = self.checks["2xx" if status < 400 else "error"]
            case.validate_response(response, checks=checks, headers=self.served.headers(path),
                                   transport_kwargs={"base_url": self.served.base_url})
        except FailureGroup as group:
            for failure in group.exceptions:
                if isinstance(failure, AcceptedNegativeData) and status < 400:
                    broken = case.meta.phase.data.description.replace("\n", "; ")
                    coverage = case.meta.phase.name.value == "coverage"
                    (tally.accepted if coverage else tally.generated_accepted).append(
                        (broken, f"{status} for {self.curl(case)}"))
                else:
                    where = self.log_tail() if status >= 500 else ""
                    tally.problems.append(f"{mode}: {status} {failure.title}: {failure.message.strip()[:400]} "
                                          f"for {self.curl(case)}{where}")

    def curl(self, case) -> str:
        text = case.as_curl_command(headers=self.served.headers(case.formatted_path))
        return text if len(text) < 700 else text[:700] + "..."

    def log_tail(self) -> str:
        """The last error the server logged (its traceback's last lines), to name where a 5xx came from."""
        lines = self.served.log.read_text(errors="replace").splitlines()
        starts = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
        return ("\n    server: " + " | ".join(lines[starts[-1]:][-4:])) if starts else ""

    def run(self, operation_id: str) -> Tally:
        """The negative requests, then the positive ones (which may delete what the first ones aim at)."""
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis.errors import Unsatisfiable
        from schemathesis import GenerationMode
        from schemathesis.core.errors import InvalidSchema

        operation, tally = self.operations[operation_id], Tally()
        for case in self.coverage_cases(operation):
            self.send(case, tally)
        for mode in (GenerationMode.NEGATIVE, GenerationMode.POSITIVE):
            @settings(max_examples=EXAMPLES[mode.value], derandomize=True, database=None, deadline=None,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck), print_blob=False)
            @given(case=self.strategy(operation, mode))
            def fuzz(case):
                self.send(case, tally)

            try:
                fuzz()
            except (Unsatisfiable, InvalidSchema):
                # nothing of this request can break the description once its path names real objects
                # (a path id is any string): no invalid request to send. Schemathesis's negative mode
                # also gives up on some draws ("Cannot generate an array with 1 demanded elements" for
                # searchVectorStore, depending on the constants Hypothesis has seen): the coverage
                # phase above has already sent that operation's invalid requests.
                if not mode.is_negative:
                    raise
        return tally


def broken_fields(case) -> set[str]:
    """The top-level body fields an invalid request breaks (Schemathesis says where it broke it)."""
    data = getattr(case.meta, "phase", None) and case.meta.phase.data
    fields = {m.path[0] for m in getattr(data, "mutations", ()) if m.path and isinstance(m.path[0], str)}
    location = getattr(data, "location", None) or ""
    if location.startswith("/properties/"):
        fields.add(location.split("/")[2])
    return fields


def fuzzable(doc: dict) -> dict:
    """A copy of the description (Schemathesis adds its own keys to the one it is given) that it can
    generate from, without its security requirements: every request carries the server's key (or the
    admin key of the organization endpoints), since a request without it is refused before any of its
    input is read; how keys are checked is tested on its own."""
    doc = copy.deepcopy(doc)
    # "exactly one of image_url and file_id", spelled as anyOf plus a `not` that Schemathesis cannot
    # generate from, said the way it can: oneOf
    image = doc["components"]["schemas"]["ImageRefParam"]
    if image.pop("not", None) is not None:
        image["oneOf"] = image.pop("anyOf")
    doc.pop("security", None)
    for item in doc["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("security", None)
    return doc


def error_object_problem(response) -> str | None:
    """What keeps `response` from being the API's error object with a one-line message, or None."""
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"error body is not the API's error object: {response.text[:160]!r}"
    if not isinstance(error, dict) or not {"message", "type", "param", "code"} <= set(error):
        return f"error object lacks message/type/param/code: {error!r:.160}"
    message = error["message"]
    if not isinstance(message, str) or not message.strip():
        return f"error without a message: {error!r:.160}"
    if "\n" in message or len(message) > MAX_MESSAGE:
        return f"error message is not one short line ({len(message)} chars): {message[:160]!r}"
    return None


@pytest.fixture(scope="module")
def fuzz(contract, served_world):
    fuzzer = Fuzz(contract, served_world)
    yield fuzzer
    fuzzer.session.close()


@pytest.mark.parametrize("operation_id", fuzzed_operations())
def test_fuzz(fuzz, operation_id):
    assert operation_id in fuzz.operations, f"{operation_id} is served but not in the description"
    tally = TALLIES[operation_id] = fuzz.run(operation_id)
    assert tally.sent["negative"] + tally.sent["positive"] > 0, f"{operation_id}: nothing was sent"
    problems = list(tally.problems)
    allowed = {broken for oid, broken in [*LENIENT, *NOT_YET_REFUSED] if oid == operation_id}
    problems += [f"invalid request accepted ({broken}): {line}" for broken, line in tally.accepted
                 if broken not in allowed]
    seen = {broken for broken, _ in tally.accepted}
    problems += [f"listed as accepted but now refused, drop it from the list: {broken}" for broken in allowed - seen]
    assert not problems, f"{operation_id}: {len(problems)} problems:\n" + "\n".join(problems)


def test_the_server_is_healthy_after_the_fuzz(fuzz):
    """Runs last: the fuzz left the server answering, its database intact and its models working."""
    root, keyed = fuzz.served.base_url, fuzz.served.headers("/chat/completions")
    assert requests.get(f"{root.removesuffix('/v1')}/health", headers=keyed, timeout=TIMEOUT).json() == {
        "status": "ok"}
    r = requests.post(f"{root}/chat/completions", headers=keyed, timeout=TIMEOUT, json={
        "model": MODEL, "messages": [{"role": "user", "content": "Tell me about herons"}],
        "max_completion_tokens": 3, "store": True})
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["role"] == "assistant", r.text
    assert requests.get(f"{root}/chat/completions/{r.json()['id']}", headers=keyed, timeout=TIMEOUT).status_code == 200
    projects = requests.get(f"{root}/organization/projects", headers=fuzz.served.headers("/organization/"),
                            timeout=TIMEOUT)
    assert projects.status_code == 200, projects.text
    with sqlite3.connect(f"file:{fuzz.served.db}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def summary_lines() -> list[str]:
    """The table of the operations that accepted invalid requests: how many invalid and valid requests
    were sent, how many invalid ones of the coverage phase were accepted (and how many of those are
    `LENIENT`), how many generated invalid ones were, how the valid ones were answered."""
    if not TALLIES:
        return []
    lines = [f"{'operation':44} {'invalid':>7} {'accepted':>8} {'lenient':>7} {'generated':>9} {'valid':>5} "
             f"{'2xx':>4} {'4xx':>4}"]
    for oid, t in TALLIES.items():
        if not (t.accepted or t.generated_accepted):
            continue
        lenient = sum(1 for broken, _ in t.accepted if (oid, broken) in LENIENT)
        lines.append(f"{oid:44} {t.sent['negative']:7} {len(t.accepted):8} {lenient:7} {len(t.generated_accepted):9} "
                     f"{t.sent['positive']:5} {t.statuses['positive', '2xx']:4} {t.statuses['positive', '4xx']:4}")
    generated = sum(len(t.generated_accepted) for t in TALLIES.values())
    total = sum(len(t.accepted) for t in TALLIES.values())
    lenient = sum(1 for oid, t in TALLIES.items() for broken, _ in t.accepted if (oid, broken) in LENIENT)
    lines.append(f"{len(TALLIES)} operations fuzzed, {sum(sum(t.sent.values()) for t in TALLIES.values())} requests, "
                 f"{total} invalid requests of the coverage phase accepted ({lenient} of them lenient as the real "
                 f"API), {generated} generated ones; the operations not listed accepted none")
    return lines
