"""Shared pieces of the organization tests: a local server with a known admin key, our client and
the official `openai` package pointed at it (every exchange checked against the contract), model
traffic made with project keys, and self-signed certificates made on the spot with `cryptography`."""

from __future__ import annotations

import datetime as dt

import httpx
import openai
import pytest
import requests

ADMIN_KEY = "sk-admin-test-organization"


@pytest.fixture(scope="module")
def org_server():
    """A server of this test module's own (in memory), so usage totals are exactly this module's."""
    from jupyter_api_kit.local import start_local_server

    handle = start_local_server(db=":memory:", admin_key=ADMIN_KEY)
    yield handle
    handle.stop()


@pytest.fixture()
def admin(org_server, recorder):
    """Our client with the admin key; every request and response is validated by `recorder`."""
    from jupyter_api_kit.client import Client

    c = Client(base_url=org_server.base_url, api_key=org_server.api_key, admin_key=ADMIN_KEY, max_retries=0)
    c.transport.session.hooks["response"].append(recorder)
    yield c
    c.close()


@pytest.fixture()
def sdk(org_server, contract_or_none):
    """The official openai package with the admin key; every response body checked against the contract
    (when the description is at hand) and listed in `checked`."""
    checked = []

    def check(response: httpx.Response):
        response.read()
        if contract_or_none is not None:
            contract_or_none.validate_body(response.request.method, response.request.url.path,
                                           response.json(), response.status_code)
        checked.append((response.request.method, response.request.url.path, response.status_code))

    http = httpx.Client(event_hooks={"response": [check]})
    client = openai.OpenAI(base_url=org_server.base_url, api_key=org_server.api_key, admin_api_key=ADMIN_KEY,
                           http_client=http, max_retries=0)
    client.checked = checked
    yield client
    http.close()


def chat(base_url: str, key: str | None, model: str = "local-ngram", text: str = "Tell me about gardens",
         max_tokens: int = 6) -> dict:
    """One chat completion made with `key` over plain HTTP; returns its JSON (asserting a 200)."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    r = requests.post(f"{base_url}/chat/completions", headers=headers, timeout=30,
                      json={"model": model, "messages": [{"role": "user", "content": text}],
                            "max_completion_tokens": max_tokens, "seed": 1})
    assert r.status_code == 200, r.text
    return r.json()


def make_project_with_key(admin_client, name: str) -> tuple[str, str, str]:
    """(project id, service account id, key value) of a new project with one service account."""
    project = admin_client.organization.projects.create(name=name)
    account = admin_client.organization.projects.service_accounts.create(project.id, name=f"{name} bot")
    return project.id, account.id, account.api_key.value


def self_signed_pem(common_name: str = "jak test", days: int = 30, *, expired: bool = False,
                    key_pem: bool = False) -> str:
    """A fresh self-signed certificate (and, with `key_pem`, its private key appended)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    start = now - dt.timedelta(days=days + 2) if expired else now - dt.timedelta(minutes=5)
    end = now - dt.timedelta(days=1) if expired else now + dt.timedelta(days=days)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    if key_pem:
        pem += key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()
    return pem
