"""SSRF destination guard: address classification, allow-list, and real guarded requests."""

from __future__ import annotations

import asyncio
import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from flowyard.net.ssrf import (
    AllowList,
    DestinationRefused,
    GuardedTransport,
    SyncGuardedTransport,
    check_host,
    check_url,
    parse_ip,
)

REFUSED = [
    "http://127.0.0.1/",
    "http://[::1]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://[fe80::1]/",
    "http://[fd12:3456::1]/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://0/",
    "http://127.0.0.1./",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 form of 169.254.169.254
    "http://[2002:7f00:1::]/",  # 6to4 form of 127.0.0.1
    "http://localhost/",
    "http://LOCALHOST:8080/admin",
    "https://user:pw@127.0.0.1:8443/",
]


@pytest.mark.parametrize("url", REFUSED)
def test_internal_destinations_are_refused(url: str) -> None:
    with pytest.raises(DestinationRefused, match="private or internal network"):
        check_url(url)


@pytest.mark.parametrize("url", ["ftp://example.com/f", "file:///etc/passwd", "gopher://x/", "x"])
def test_non_http_schemes_are_refused(url: str) -> None:
    with pytest.raises(DestinationRefused, match=r"only sends requests to http:// and https://"):
        check_url(url)


@pytest.mark.parametrize("host", ["1.2.3.4.5", "999.0.0.1", "256.1.1.1.", "foo.123", "08.0.0.1"])
def test_malformed_numeric_hosts_are_refused(host: str) -> None:
    with pytest.raises(DestinationRefused):
        check_host(host, 80)


@pytest.mark.parametrize(
    ("literal", "normalised"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("192.168.257", "192.168.1.1"),
        ("93.184.216.34", "93.184.216.34"),
    ],
)
def test_ipv4_literals_normalise_like_inet_aton(literal: str, normalised: str) -> None:
    assert str(parse_ip(literal)) == normalised
    assert socket.inet_ntoa(socket.inet_aton(literal)) == normalised  # libc agrees


def test_names_are_not_literals() -> None:
    assert parse_ip("example.com") is None
    assert parse_ip("1e100.net") is None


def test_public_literal_is_allowed_without_network() -> None:
    assert [str(ip) for ip in check_url("http://93.184.216.34/")] == ["93.184.216.34"]
    assert [str(ip) for ip in check_url("https://[2606:2800:220:1::]/")] == ["2606:2800:220:1::"]


def test_any_forbidden_resolved_address_refuses() -> None:
    resolver = lambda host, port: ["93.184.216.34", "10.0.0.7"]  # noqa: E731
    with pytest.raises(DestinationRefused, match=r"10\.0\.0\.7"):
        check_url("https://mixed.example/", resolver=resolver)
    ok = check_url("https://public.example/", resolver=lambda h, p: ["93.184.216.34"])
    assert [str(ip) for ip in ok] == ["93.184.216.34"]


def test_error_message_is_plain_english() -> None:
    with pytest.raises(DestinationRefused) as info:
        check_url("http://127.0.0.1/")
    assert str(info.value).startswith(
        "Flowyard won't send requests to private or internal network addresses (127.0.0.1"
    )
    assert info.value.address == "127.0.0.1"


def test_allow_list_entries() -> None:
    allow = AllowList.parse(["127.0.0.1:8080", "10.9.0.0/16", "intranet.local", "[::1]:9000"])
    assert check_url("http://127.0.0.1:8080/", allow=allow)
    assert check_url("http://[::ffff:127.0.0.1]:8080/", allow=allow)  # mapped form, same host
    with pytest.raises(DestinationRefused):
        check_url("http://127.0.0.1:8081/", allow=allow)  # other port
    assert check_url("http://10.9.3.4/", allow=allow)
    with pytest.raises(DestinationRefused):
        check_url("http://10.8.3.4/", allow=allow)
    assert check_url("http://intranet.local/", allow=allow, resolver=lambda h, p: ["10.1.1.1"])
    assert check_url("http://[::1]:9000/", allow=allow)
    with pytest.raises(ValueError):
        AllowList.parse(["127.0.0.1:http"])


# --- real requests through the guarded transports --------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", self.path.split("to=", 1)[1])
            self.end_headers()
            return
        body = f"host={self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def local_server() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_sync_transport_refuses_local_server(local_server: int) -> None:
    with httpx.Client(transport=SyncGuardedTransport()) as client:
        with pytest.raises(DestinationRefused):
            client.get(f"http://127.0.0.1:{local_server}/")
        with pytest.raises(DestinationRefused):
            client.get(f"http://localhost:{local_server}/")
        with pytest.raises(DestinationRefused):
            client.get(f"http://2130706433:{local_server}/")


def test_sync_transport_allows_allow_listed_server(local_server: int) -> None:
    transport = SyncGuardedTransport(allow=[f"127.0.0.1:{local_server}"])
    with httpx.Client(transport=transport) as client:
        response = client.get(f"http://127.0.0.1:{local_server}/")
    assert response.status_code == 200
    assert response.text == f"host=127.0.0.1:{local_server}"


def test_redirect_to_internal_address_is_refused(local_server: int) -> None:
    transport = SyncGuardedTransport(allow=[f"127.0.0.1:{local_server}"])
    target = "http://169.254.169.254/latest/meta-data/"
    with (
        httpx.Client(transport=transport, follow_redirects=True) as client,
        pytest.raises(DestinationRefused, match=r"169\.254\.169\.254"),
    ):
        client.get(f"http://127.0.0.1:{local_server}/redirect?to={target}")


def test_async_transport_refuses_then_allows(local_server: int) -> None:
    async def run() -> None:
        async with httpx.AsyncClient(transport=GuardedTransport()) as client:
            with pytest.raises(DestinationRefused):
                await client.get(f"http://127.0.0.1:{local_server}/")
            with pytest.raises(DestinationRefused):
                await client.get(f"http://[::ffff:127.0.0.1]:{local_server}/")
        allowed = GuardedTransport(allow=["127.0.0.0/8"])
        async with httpx.AsyncClient(transport=allowed) as client:
            response = await client.get(f"http://127.0.0.1:{local_server}/")
        assert response.status_code == 200

    run_in_fresh_loop(run())


def run_in_fresh_loop(coroutine: Any) -> None:
    """asyncio.run on a thread of its own: a session-wide Playwright (sync API) may already
    have an event loop running on the main thread."""
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def test_transport_refuses_non_http_schemes() -> None:
    with (
        httpx.Client(transport=SyncGuardedTransport()) as client,
        pytest.raises((DestinationRefused, httpx.UnsupportedProtocol)),
    ):
        client.get("ftp://example.com/")
    request = httpx.Request("GET", "ftp://example.com/")
    with pytest.raises(DestinationRefused):
        SyncGuardedTransport().handle_request(request)


def test_transport_connects_to_vetted_ip_without_second_lookup(
    local_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name is resolved once by the guard; nothing resolves it again."""
    calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    real_getaddrinfo = socket.getaddrinfo

    def no_second_lookup(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        assert host != "rebind.test", "the host name was resolved a second time"
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_second_lookup)
    transport = SyncGuardedTransport(allow=["127.0.0.1/32"], resolver=resolver)
    with httpx.Client(transport=transport) as client:
        response = client.get(f"http://rebind.test:{local_server}/")
    assert response.text == f"host=rebind.test:{local_server}"  # Host header kept
    assert calls == ["rebind.test"]

    rebinding = iter([["127.0.0.1"], ["10.0.0.1"]])
    transport = SyncGuardedTransport(
        allow=[f"127.0.0.1:{local_server}"], resolver=lambda h, p: next(rebinding)
    )
    with httpx.Client(transport=transport) as client:
        assert client.get(f"http://rebind.test:{local_server}/").status_code == 200
        # A later connection to a name that now answers privately is vetted afresh.
        with pytest.raises(DestinationRefused):
            client.get(f"http://other.test:{local_server}/")


def test_unix_sockets_are_refused() -> None:
    with pytest.raises(ValueError):
        SyncGuardedTransport(uds="/tmp/x.sock")
    with pytest.raises(ValueError):
        GuardedTransport(uds="/tmp/x.sock")


def test_https_keeps_sni_and_certificate_check_on_the_name(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Connecting to the vetted IP must not weaken TLS: SNI and cert check use the host name."""
    import datetime
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "secure.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("secure.test")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = tmp_path / "cert.pem"
    key_pem = tmp_path / "key.pem"
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_pem, key_pem)
    seen_sni: list[str | None] = []
    server_ctx.sni_callback = lambda sock, server_name, ctx: seen_sni.append(server_name)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = server_ctx.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client_ctx = ssl.create_default_context(cafile=str(cert_pem))
        transport = SyncGuardedTransport(
            allow=["127.0.0.1/32"], resolver=lambda h, p: ["127.0.0.1"], verify=client_ctx
        )
        with httpx.Client(transport=transport) as client:
            response = client.get(f"https://secure.test:{port}/")
        assert response.text == f"host=secure.test:{port}"
        assert seen_sni == ["secure.test"]
        # The same server reached under a name its certificate doesn't cover must fail TLS.
        transport = SyncGuardedTransport(
            allow=["127.0.0.1/32"], resolver=lambda h, p: ["127.0.0.1"], verify=client_ctx
        )
        with httpx.Client(transport=transport) as client, pytest.raises(httpx.ConnectError):
            client.get(f"https://other.test:{port}/")
    finally:
        server.shutdown()
        server.server_close()
