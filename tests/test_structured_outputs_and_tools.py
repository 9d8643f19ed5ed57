"""Structured outputs and tool choice as real clients use them, through the official `openai` package
against the local server over HTTP, every response body checked against the shared OpenAPI file:
nested Pydantic models (`$ref`/`$defs`, enums, optional fields) with `strict: true` in chat and
Responses, complete JSON answers under a small token limit, and `tool_choice` auto / required /
named in chat completions, Responses and Assistants runs."""

from __future__ import annotations

import json
from enum import Enum

import httpx
import openai
import pytest
from openai.lib._pydantic import to_strict_json_schema
from pydantic import BaseModel

from jupyter_api_kit.local.models.language import get_language_model


class Month(str, Enum):
    may = "May"
    june = "June"
    july = "July"


class City(BaseModel):
    name: str
    country: str | None = None


class Trip(BaseModel):
    stops: list[City]
    best_month: Month
    budget_eur: int
    summary: str


class UserInfo(BaseModel):
    name: str
    age: int


WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "The current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"},
                                                    "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["city", "unit"], "additionalProperties": False}}}
FINAL = {"type": "function", "function": {
    "name": "final_result", "description": "The final response which ends this conversation.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "temperature_c": {"type": "integer"},
                                                    "conditions": {"type": "string"}},
                   "required": ["city", "temperature_c", "conditions"]}}}
WEATHER_RESULT = json.dumps({"city": "Oslo", "temperature_c": 4, "conditions": "light rain"})


@pytest.fixture()
def sdk(server, contract):
    checked = []

    def check(response: httpx.Response):
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return
        response.read()
        contract.validate_body(response.request.method, response.request.url.path, response.json(),
                               response.status_code)
        checked.append(response.request.url.path)

    http = httpx.Client(event_hooks={"response": [check]})
    client = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, http_client=http, max_retries=0)
    client.checked = checked
    yield client
    http.close()


def after_weather_call(question="What is the weather in Oslo?"):
    call = {"id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": json.dumps({"city": "Oslo", "unit": "celsius"})}}
    return [{"role": "user", "content": question},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "content": WEATHER_RESULT}]


# -- structured outputs ----------------------------------------------------------------------------


def test_chat_parse_fills_a_nested_strict_model_from_the_question(sdk):
    schema = to_strict_json_schema(Trip)
    assert "$defs" in schema and "$ref" in json.dumps(schema["properties"])
    done = sdk.chat.completions.parse(
        model="local-ngram", response_format=Trip, seed=1,
        messages=[{"role": "user", "content": "Plan a trip through Lyon, Nice and Marseille in June for 900 euros."}])
    trip = done.choices[0].message.parsed
    assert isinstance(trip, Trip) and done.choices[0].finish_reason == "stop"
    assert [s.name for s in trip.stops] == ["Lyon", "Nice", "Marseille"]
    assert trip.best_month is Month.june and trip.budget_eur == 900 and trip.summary
    assert all(s.country is None for s in trip.stops), "nothing in the question names a country"
    content = done.choices[0].message.content
    assert 0 < done.usage.completion_tokens <= len(content), "the JSON returned is what is counted"


def test_responses_parse_fills_the_same_model(sdk):
    done = sdk.responses.parse(model="local-ngram", text_format=UserInfo,
                               input="John Doe is 30 years old and lives in Paris.")
    assert done.status == "completed"
    assert done.output_parsed == UserInfo(name="John Doe", age=30)


def test_refs_allof_anyof_nullable_in_a_raw_schema(sdk):
    schema = {"type": "object", "additionalProperties": False, "required": ["owner", "pet", "tags", "nickname"],
              "properties": {
                  "owner": {"allOf": [{"$ref": "#/definitions/Person"}]},
                  "pet": {"oneOf": [{"$ref": "#/definitions/Cat"}, {"$ref": "#/definitions/Dog"}]},
                  "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
                  "nickname": {"type": ["string", "null"]}},
              "definitions": {
                  "Person": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
                  "Cat": {"type": "object", "properties": {"kind": {"const": "cat"}, "meows": {"type": "boolean"}},
                          "required": ["kind", "meows"]},
                  "Dog": {"type": "object", "properties": {"kind": {"const": "dog"}, "barks": {"type": "boolean"}},
                          "required": ["kind", "barks"]}}}
    done = sdk.chat.completions.create(
        model="local-ngram", messages=[{"role": "user", "content": "Anna Berg has a dog that barks."}],
        response_format={"type": "json_schema", "json_schema": {"name": "pet", "schema": schema, "strict": True}})
    value = json.loads(done.choices[0].message.content)
    import jsonschema

    jsonschema.validate(value, schema)
    assert value["owner"] == {"name": "Anna Berg"} and value["pet"]["kind"] == "dog" and value["nickname"] is None


def test_a_complete_json_answer_is_never_reported_as_truncated(sdk):
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"],
              "additionalProperties": False}
    fmt = {"type": "json_schema", "json_schema": {"name": "place", "schema": schema, "strict": True}}
    question = [{"role": "user", "content": "Which city is the weather forecast for? It is for Bergen."}]
    done = sdk.chat.completions.create(model="local-ngram", messages=question, response_format=fmt,
                                       max_completion_tokens=5)
    choice = done.choices[0]
    assert choice.finish_reason == "stop" and json.loads(choice.message.content) == {"city": "Bergen"}
    counted = get_language_model().count_tokens(choice.message.content)
    assert done.usage.completion_tokens == counted, "usage counts the JSON returned, not text never shown"
    # The SDK's parse() keeps the answer rather than raising LengthFinishReasonError.
    assert sdk.chat.completions.parse(model="local-ngram", messages=question, max_completion_tokens=5,
                                      response_format=_Place).choices[0].message.parsed == _Place(city="Bergen")
    # Responses: the same answer is complete, not incomplete.
    resp = sdk.responses.create(model="local-ngram", input=question[0]["content"], max_output_tokens=16,
                                text={"format": {"type": "json_schema", "name": "place", "schema": schema}})
    assert resp.status == "completed" and json.loads(resp.output_text) == {"city": "Bergen"}
    assert resp.usage.output_tokens == get_language_model().count_tokens(resp.output_text)
    # Long text fields are shortened to fit the limit, still whole JSON.
    notes = {"type": "object", "properties": {"summary": {"type": "string"}}, "required": ["summary"]}
    short = sdk.chat.completions.create(
        model="local-ngram", max_completion_tokens=30,
        messages=[{"role": "user", "content": "Tell me everything about the planets."}],
        response_format={"type": "json_schema", "json_schema": {"name": "notes", "schema": notes}})
    assert short.choices[0].finish_reason == "stop" and json.loads(short.choices[0].message.content)["summary"]
    assert short.usage.completion_tokens <= 30


class _Place(BaseModel):
    city: str


def test_json_object_follows_a_schema_or_example_written_in_the_prompt(sdk):
    schema = json.dumps(UserInfo.model_json_schema())
    done = sdk.chat.completions.create(model="local-ngram", response_format={"type": "json_object"}, messages=[
        {"role": "system", "content": f"Answer with a JSON object that matches this schema:\n{schema}"},
        {"role": "user", "content": "Extract: Maria Lopez is 41 years old."}])
    assert json.loads(done.choices[0].message.content) == {"name": "Maria Lopez", "age": 41}
    example = sdk.chat.completions.create(model="local-ngram", response_format={"type": "json_object"}, messages=[
        {"role": "user", "content": 'Reply like {"city": "Rome", "days": 3}. I want two days in Vienna.'}])
    assert json.loads(example.choices[0].message.content) == {"city": "Vienna", "days": 2}
    plain = sdk.chat.completions.create(model="local-ngram", response_format={"type": "json_object"},
                                        messages=[{"role": "user", "content": "What is a planet?"}])
    assert "planet" in json.loads(plain.choices[0].message.content)["answer"]


def test_a_ref_outside_the_schema_is_a_clear_400(sdk):
    bad = {"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}}
    with pytest.raises(openai.BadRequestError) as err:
        sdk.chat.completions.create(model="local-ngram", messages=[{"role": "user", "content": "Hi"}],
                                    response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": bad}})
    assert err.value.body["param"] == "response_format.json_schema.schema" and "$ref" in err.value.body["message"]
    with pytest.raises(openai.BadRequestError) as err:
        sdk.responses.create(model="local-ngram", input="Hi", tools=[
            {"type": "function", "name": "f", "parameters": {"$ref": "#/$defs/Missing"}}])
    assert err.value.body["param"] == "tools[0].parameters"


# -- tool choice -------------------------------------------------------------------------------------


def test_auto_calls_the_tool_a_message_is_about_and_answers_with_its_result(sdk):
    asked = sdk.chat.completions.create(model="local-ngram", tools=[WEATHER, FINAL], tool_choice="auto",
                                        messages=[{"role": "user", "content": "Will it rain in Oslo today?"}])
    choice = asked.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.function.name == "get_weather" and json.loads(call.function.arguments) == {"city": "Oslo",
                                                                                            "unit": "celsius"}
    off_topic = sdk.chat.completions.create(model="local-ngram", tools=[WEATHER], tool_choice="auto",
                                            messages=[{"role": "user", "content": "Tell me about volcanoes."}])
    assert off_topic.choices[0].finish_reason == "stop" and "volcano" in off_topic.choices[0].message.content.lower()
    answered = sdk.chat.completions.create(model="local-ngram", tools=[WEATHER], tool_choice="auto",
                                           messages=after_weather_call(), temperature=0)
    text = answered.choices[0].message.content
    assert answered.choices[0].finish_reason == "stop" and "light rain" in text and "4" in text


def test_required_calls_a_tool_not_yet_answered(sdk):
    first = sdk.chat.completions.create(model="local-ngram", tools=[WEATHER, FINAL], tool_choice="required",
                                        messages=[{"role": "user", "content": "What is the weather in Oslo?"}])
    assert first.choices[0].message.tool_calls[0].function.name == "get_weather"
    then = sdk.chat.completions.create(model="local-ngram", tools=[WEATHER, FINAL], tool_choice="required",
                                       messages=after_weather_call())
    (call,) = then.choices[0].message.tool_calls
    assert call.function.name == "final_result"
    assert json.loads(call.function.arguments) == {"city": "Oslo", "temperature_c": 4, "conditions": "light rain"}
    named = sdk.chat.completions.create(model="local-ngram", tools=[WEATHER, FINAL], messages=after_weather_call(),
                                        tool_choice={"type": "function", "function": {"name": "get_weather"}})
    assert named.choices[0].message.tool_calls[0].function.name == "get_weather"


def test_responses_tool_choice_after_a_function_call_output(sdk):
    tools = [{"type": "function", **WEATHER["function"]}, {"type": "function", **FINAL["function"]}]
    first = sdk.responses.create(model="local-ngram", input="What is the weather in Oslo?", tools=tools,
                                 tool_choice="required")
    (call,) = [item for item in first.output if item.type == "function_call"]
    assert call.name == "get_weather"
    followup = [{"type": "function_call_output", "call_id": call.call_id, "output": WEATHER_RESULT}]
    required = sdk.responses.create(model="local-ngram", previous_response_id=first.id, input=followup,
                                    tools=tools, tool_choice="required")
    assert [i.name for i in required.output if i.type == "function_call"] == ["final_result"]
    named = sdk.responses.create(model="local-ngram", previous_response_id=first.id, input=followup, tools=tools,
                                 tool_choice={"type": "function", "name": "get_weather"})
    assert [i.name for i in named.output if i.type == "function_call"] == ["get_weather"]
    auto = sdk.responses.create(model="local-ngram", previous_response_id=first.id, input=followup, tools=tools,
                                temperature=0)
    assert auto.output[-1].type == "message" and "light rain" in auto.output_text


def test_assistants_runs_choose_tools_the_same_way(sdk):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assistant = sdk.beta.assistants.create(model="local-ngram", tools=[WEATHER, FINAL])
        thread = sdk.beta.threads.create(messages=[{"role": "user", "content": "Is it cold in Oslo?"}])
        run = sdk.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id,
                                                    tool_choice="auto", poll_interval_ms=50)
        assert run.status == "requires_action"
        (call,) = run.required_action.submit_tool_outputs.tool_calls
        assert call.function.name == "get_weather" and json.loads(call.function.arguments)["city"] == "Oslo"
        done = sdk.beta.threads.runs.submit_tool_outputs_and_poll(
            run_id=run.id, thread_id=thread.id, tool_outputs=[{"tool_call_id": call.id, "output": WEATHER_RESULT}],
            poll_interval_ms=50)
        assert done.status == "completed"
        reply = sdk.beta.threads.messages.list(thread_id=thread.id, run_id=done.id).data[0]
        assert "light rain" in reply.content[0].text.value
