"""Libraries built on the official `openai` package, against the local server over real HTTP, every
response checked against the shared OpenAPI file: pydantic-ai (nested structured output, and an
agent whose tool loop ends), instructor (nested models in tool and JSON modes) and langchain-openai
(`with_structured_output` and `bind_tools`)."""

from __future__ import annotations

import json

import httpx
import openai
import pytest
from pydantic import BaseModel

pydantic_ai = pytest.importorskip("pydantic_ai")
instructor = pytest.importorskip("instructor")
langchain_openai = pytest.importorskip("langchain_openai")

from pydantic_ai import Agent  # noqa: E402
from pydantic_ai.models.openai import OpenAIChatModel  # noqa: E402
from pydantic_ai.providers.openai import OpenAIProvider  # noqa: E402


class City(BaseModel):
    name: str
    country: str | None = None


class Trip(BaseModel):
    stops: list[City]
    days: int


class WeatherReport(BaseModel):
    city: str
    temperature_c: int
    conditions: str


WEATHER = {"city": "Oslo", "temperature_c": 4, "conditions": "light rain"}


@pytest.fixture()
def checked(contract):
    """httpx event hooks that validate every JSON response body against the contract."""
    seen = []

    def check(response: httpx.Response):
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return
        response.read()
        contract.validate_body(response.request.method, response.request.url.path, response.json(),
                               response.status_code)
        seen.append(response.request.url.path)

    async def acheck(response: httpx.Response):
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            await response.aread()
            contract.validate_body(response.request.method, response.request.url.path, response.json(),
                                   response.status_code)
            seen.append(response.request.url.path)

    return seen, check, acheck


def agent_model(server, checked):
    http = httpx.AsyncClient(event_hooks={"response": [checked[2]]})
    client = openai.AsyncOpenAI(base_url=server.base_url, api_key=server.api_key, http_client=http, max_retries=0)
    return OpenAIChatModel("local-ngram", provider=OpenAIProvider(openai_client=client))


def test_pydantic_ai_nested_structured_output(server, checked):
    agent = Agent(agent_model(server, checked), output_type=Trip)
    result = agent.run_sync("Plan a three day trip through Lyon and Nice.")
    assert result.output.model_dump() == {"stops": [{"name": "Lyon", "country": None},
                                                    {"name": "Nice", "country": None}], "days": 3}
    assert checked[0] and set(checked[0]) == {"/v1/chat/completions"}


def test_pydantic_ai_agent_tool_loop_ends(server, checked):
    calls = []
    agent = Agent(agent_model(server, checked), output_type=WeatherReport,
                  instructions="Use the tools to answer questions about the weather.")

    @agent.tool_plain
    def get_weather(city: str) -> dict:
        """The current weather in a city."""
        calls.append(city)
        return WEATHER

    result = agent.run_sync("What is the weather like in Oslo?")
    assert calls == ["Oslo"], "the tool runs once, then the agent gives its final result"
    assert result.output == WeatherReport(**WEATHER)

    chat = Agent(agent_model(server, checked), instructions="Use the tools to answer questions about the weather.")
    chat.tool_plain(get_weather)
    answer = chat.run_sync("Will it rain in Oslo today?", model_settings={"temperature": 0})
    assert calls == ["Oslo", "Oslo"] and "light rain" in answer.output


def test_instructor_nested_models_in_tool_and_json_modes(server, checked):
    http = httpx.Client(event_hooks={"response": [checked[1]]})
    base = openai.OpenAI(base_url=server.base_url, api_key=server.api_key, http_client=http, max_retries=0)
    messages = [{"role": "user", "content": "Plan a 4 day trip through Porto, Lisbon and Faro."}]
    for mode in (instructor.Mode.TOOLS, instructor.Mode.JSON, instructor.Mode.JSON_SCHEMA):
        client = instructor.from_openai(base, mode=mode)
        trip = client.chat.completions.create(model="local-ngram", response_model=Trip, messages=messages,
                                              max_retries=0)
        assert trip.model_dump() == {"stops": [{"name": n, "country": None} for n in ("Porto", "Lisbon", "Faro")],
                                     "days": 4}, mode
    http.close()
    assert checked[0]


def test_langchain_structured_output_and_tool_binding(server, checked):
    http = httpx.Client(event_hooks={"response": [checked[1]]})
    llm = langchain_openai.ChatOpenAI(model="local-ngram", base_url=server.base_url, api_key=server.api_key,
                                      http_client=http, max_retries=0, temperature=0)
    for method in ("json_schema", "function_calling", "json_mode"):
        prompt = "Plan a 2 day trip through Ghent and Bruges."
        if method == "json_mode":
            prompt += ' Answer in JSON shaped like {"stops": [{"name": "Paris"}], "days": 1}.'
        trip = llm.with_structured_output(Trip, method=method).invoke(prompt)
        assert trip.model_dump() == {"stops": [{"name": "Ghent", "country": None}, {"name": "Bruges", "country": None}],
                                     "days": 2}, method

    def get_weather(city: str) -> str:
        """The current weather in a city."""
        return json.dumps(WEATHER)

    message = llm.bind_tools([get_weather]).invoke("Is it raining in Oslo?")
    assert [(c["name"], c["args"]) for c in message.tool_calls] == [("get_weather", {"city": "Oslo"})]
    plain = llm.bind_tools([get_weather]).invoke("What is a planet?")
    assert not plain.tool_calls and "planet" in plain.content
    http.close()
    assert checked[0]
