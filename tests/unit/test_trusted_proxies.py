"""Issue 18 item 10: X-Forwarded-For is believed only from the proxies LGNET_TRUSTED_PROXIES names,
by default from nobody, not even 127.0.0.1 (uvicorn's own default, which would let any local
process pose as any address to the sign-in throttle). Driven through the uvicorn config the
web server is made with (infra.runtime.proxy_settings), as `lgnet run` makes it."""

from __future__ import annotations

import pytest
import uvicorn
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

from infra.runtime import proxy_settings
from infra.settings import Settings


async def client_address(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that answers with the client address the server gave it, and the scheme."""
    if scope["type"] != "http":
        return
    body = f"{scope['client'][0]} {scope['scheme']}".encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


def seen_by_the_app(settings: Settings, peer: str) -> str:
    config = uvicorn.Config(client_address, **proxy_settings(settings))
    config.load()
    client = TestClient(config.loaded_app, client=(peer, 40000))
    response = client.get("/", headers={"X-Forwarded-For": "203.0.113.9",
                                        "X-Forwarded-Proto": "https"})
    return str(response.text)


@pytest.fixture(autouse=True)
def no_forwarded_allow_ips(monkeypatch: pytest.MonkeyPatch) -> None:
    # uvicorn's own variable must not widen the trust either.
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    monkeypatch.delenv("LGNET_TRUSTED_PROXIES", raising=False)


def test_by_default_no_proxy_is_trusted_not_even_the_local_one() -> None:
    settings = Settings()

    assert settings.trusted_proxy_list == []
    assert seen_by_the_app(settings, "127.0.0.1") == "127.0.0.1 http"
    assert seen_by_the_app(settings, "::1") == "::1 http"


def test_a_named_proxy_passes_the_client_address_on_and_others_do_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LGNET_TRUSTED_PROXIES", "10.0.0.0/24, 192.0.2.1")
    settings = Settings()

    assert seen_by_the_app(settings, "10.0.0.7") == "203.0.113.9 https"
    assert seen_by_the_app(settings, "192.0.2.1") == "203.0.113.9 https"
    assert seen_by_the_app(settings, "192.0.2.2") == "192.0.2.2 http"
    assert seen_by_the_app(settings, "127.0.0.1") == "127.0.0.1 http"


@pytest.mark.parametrize("value", ["*", "proxy.example", "10.0.0.0/33", "10.0.0.1,*"])
def test_trusted_proxies_are_addresses_or_networks(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("LGNET_TRUSTED_PROXIES", value)

    with pytest.raises(ValueError, match="not an IP address or network"):
        Settings()
