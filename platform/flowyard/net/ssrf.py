"""Destination guard for outbound HTTP to user-supplied URLs (HTTP action, webhook deliveries).

Tenants type URLs; without a guard they could make Flowyard fetch cloud metadata
(169.254.169.254), the database on localhost, or anything else on the private network (SSRF).

Rules: only ``http``/``https``; every address a name resolves to must be public (one bad
address refuses the lot); numeric hosts are normalised the way libc's ``inet_aton`` and browsers
do (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1`` all mean 127.0.0.1) and IPv6 forms
that embed IPv4 (mapped, NAT64, 6to4, Teredo) are judged by the IPv4 inside. An allow-list of
CIDRs and ``host[:port]`` entries lets self-hosters and tests through.

DNS rebinding: the transports do not let httpcore resolve names. They swap in a network backend
whose ``connect_tcp`` resolves once, vets every address, then opens the socket to a vetted IP
literal. The URL, Host header, TLS SNI and certificate check keep using the original name, and
connection-pool keys stay per hostname, so a second lookup that answers 127.0.0.1 never happens.
"""

from __future__ import annotations

import ipaddress
import socket
import string
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]

ALLOWED_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_RFC1918 = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d, includes :: and ::1


class DestinationRefused(Exception):
    """The URL points somewhere Flowyard must not send requests; ``str()`` is user-facing."""

    def __init__(self, message: str, *, host: str | None = None, address: str | None = None):
        super().__init__(message)
        self.host = host
        self.address = address


# --- numeric host parsing -------------------------------------------------------------------


def _ends_in_number(host: str) -> bool:
    """WHATWG URL rule: a host whose last label is numeric must parse as IPv4 or be rejected."""
    labels = host.split(".")
    if labels[-1] == "" and len(labels) > 1:
        labels.pop()
    last = labels[-1]
    if last and all(c in string.digits for c in last):
        return True
    return last[:2].lower() == "0x" and all(c in string.hexdigits for c in last[2:])


def _ipv4_number(part: str) -> int | None:
    if part[:2].lower() == "0x":
        digits, base = part[2:], 16
        if not digits:
            return 0
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    allowed = {16: string.hexdigits, 8: string.octdigits, 10: string.digits}[base]
    if not digits or not all(c in allowed for c in digits):
        return None
    return int(digits, base)


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """``inet_aton``-style IPv4 parsing (1 to 4 parts; decimal, ``0x`` hex or ``0`` octal).

    Returns None for names; raises DestinationRefused for numeric-looking garbage (``1.2.3.4.5``,
    ``999.1.1.1``) rather than let some other layer interpret it differently.
    """
    if not host or not _ends_in_number(host):
        return None
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    numbers = [_ipv4_number(p) for p in parts] if len(parts) <= 4 else [None]
    if any(n is None for n in numbers):
        raise DestinationRefused(
            f"The address {host!r} looks like an IP address but isn't a valid one.", host=host
        )
    values = [n for n in numbers if n is not None]
    *head, last = values
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(values)):
        raise DestinationRefused(f"The IP address {host!r} is out of range.", host=host)
    number = last
    for index, value in enumerate(head):
        number += value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def parse_ip(host: str) -> IPAddress | None:
    """The IP address a URL host denotes, or None if it is a name to resolve."""
    host = host.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        bare = host.split("%", 1)[0]  # drop an IPv6 zone id ("fe80::1%25eth0")
        try:
            return ipaddress.IPv6Address(bare)
        except ValueError:
            raise DestinationRefused(f"{host!r} is not a valid IPv6 address.", host=host) from None
    return parse_ipv4(host)


# --- classification -------------------------------------------------------------------------


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` is off-limits ("loopback", "private network", …), or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return forbidden_reason(inner)
        if ip in _IPV4_COMPATIBLE and not ip.is_unspecified and not ip.is_loopback:
            return "reserved address"
    checks: list[tuple[bool, str]] = [
        (ip.is_unspecified, "unspecified address"),
        (ip.is_loopback, "loopback address of this server"),
        (ip.is_link_local, "link-local or cloud-metadata address"),
        (ip.is_multicast, "multicast address"),
        (any(ip in net for net in _RFC1918) or ip in _UNIQUE_LOCAL, "private network"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "carrier-grade NAT"),
        (not ip.is_global, "reserved or special-purpose address"),
    ]
    return next((reason for hit, reason in checks if hit), None)


# --- allow-list -----------------------------------------------------------------------------


def _split_host_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else None
        if rest and port is None:
            raise ValueError(f"Bad allow-list entry {entry!r}")
    elif entry.count(":") == 1:
        host, port = entry.split(":")
    else:
        host, port = entry, None
    if port is not None and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"Bad port in allow-list entry {entry!r}")
    return host, int(port) if port is not None else None


@dataclass(frozen=True)
class AllowList:
    """Exceptions to the guard: CIDRs (any port) and ``host[:port]`` entries.

    ``AllowList.parse(["10.1.0.0/16", "127.0.0.1:8080", "intranet.local", "[::1]:9000"])``.
    A host-name entry admits whatever that name resolves to, so list names you control.
    """

    networks: tuple[IPNetwork, ...] = ()
    addresses: tuple[tuple[IPAddress, int | None], ...] = ()
    names: tuple[tuple[str, int | None], ...] = field(default=())

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        networks: list[IPNetwork] = []
        addresses: list[tuple[IPAddress, int | None]] = []
        names: list[tuple[str, int | None]] = []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            if "/" in entry:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            if entry.count(":") > 1 and not entry.startswith("["):
                host, port = entry, None  # bare IPv6
            else:
                host, port = _split_host_port(entry)
            try:
                ip = parse_ip(host)
            except DestinationRefused as exc:
                raise ValueError(f"Bad allow-list entry {entry!r}: {exc}") from None
            if ip is not None:
                addresses.append((_unmap(ip), port))
            else:
                names.append((_normalise_name(host), port))
        return cls(tuple(networks), tuple(addresses), tuple(names))

    def permits(self, host: str, port: int, ip: IPAddress) -> bool:
        ip = _unmap(ip)
        if any(ip.version == net.version and ip in net for net in self.networks):
            return True
        if any(ip == a and p in (None, port) for a, p in self.addresses):
            return True
        name = _normalise_name(host)
        return any(name == n and p in (None, port) for n, p in self.names)


def _unmap(ip: IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _normalise_name(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _as_allow_list(allow: AllowList | Iterable[str] | None) -> AllowList:
    if allow is None:
        return AllowList()
    return allow if isinstance(allow, AllowList) else AllowList.parse(allow)


# --- checks ---------------------------------------------------------------------------------


def system_resolver(host: str, port: int) -> list[str]:
    """All addresses ``host`` resolves to, in getaddrinfo order (deduplicated)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _refusal(host: str, ip: IPAddress, reason: str) -> DestinationRefused:
    return DestinationRefused(
        f"Flowyard won't send requests to private or internal network addresses ({ip}, "
        f"{reason}). If {host} is a server you run yourself, an administrator can add it to "
        "the outbound allow-list.",
        host=host,
        address=str(ip),
    )


def vet_addresses(
    host: str, port: int, addresses: Iterable[str], allow: AllowList
) -> list[IPAddress]:
    """Parse and check resolved addresses; one forbidden address refuses the destination."""
    vetted: list[IPAddress] = []
    for text in addresses:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
        reason = forbidden_reason(ip)
        if reason is not None and not allow.permits(host, port, ip):
            raise _refusal(host, ip, reason)
        vetted.append(ip)
    if not vetted:
        raise DestinationRefused(f"{host} did not resolve to any address.", host=host)
    return vetted


def check_host(
    host: str,
    port: int,
    *,
    allow: AllowList | Iterable[str] | None = None,
    resolver: Resolver | None = None,
) -> list[IPAddress]:
    """Addresses it is safe to connect to for ``host:port``; raises DestinationRefused.

    Name-resolution failures propagate as ``socket.gaierror`` (a network problem, not a refusal).
    """
    allow_list = _as_allow_list(allow)
    if not host.strip():
        raise DestinationRefused("The URL has no host name.")
    ip = parse_ip(host)
    addresses = [str(ip)] if ip is not None else (resolver or system_resolver)(host, port)
    return vet_addresses(host, port, addresses, allow_list)


def _url_parts(url: str | httpx.URL) -> tuple[str, str, int]:
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except httpx.InvalidURL:
        # httpx refuses some hosts libc would accept ("0177.0.0.1"); still explain them.
        from urllib.parse import urlsplit

        split = urlsplit(str(url))
        host = split.hostname or ""
        if split.scheme.lower() in ALLOWED_SCHEMES and host:
            ip = parse_ip(host)
            if ip is not None and (reason := forbidden_reason(ip)) is not None:
                raise _refusal(host, ip, reason) from None
        raise DestinationRefused(f"{str(url)!r} is not a valid web address.") from None
    scheme = parsed.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = f"{scheme}://" if scheme else "addresses without a scheme"
        raise DestinationRefused(
            f"Flowyard only sends requests to http:// and https:// addresses, not {shown}."
        )
    return scheme, parsed.host, parsed.port or _DEFAULT_PORTS[scheme]


def check_url(
    url: str | httpx.URL,
    *,
    allow: AllowList | Iterable[str] | None = None,
    resolver: Resolver | None = None,
) -> list[IPAddress]:
    """Vet a URL up front (e.g. when a tenant saves an HTTP action) and return its addresses.

    This is for early, friendly feedback; enforcement happens at connect time in the guarded
    transports, which also defeat DNS rebinding.
    """
    _scheme, host, port = _url_parts(url)
    return check_host(host, port, allow=allow, resolver=resolver)


# --- httpx transports -----------------------------------------------------------------------


class _GuardedBackend(httpcore.NetworkBackend):
    """Resolve once, vet, then connect to the vetted IP literal (no second DNS lookup)."""

    def __init__(self, inner: httpcore.NetworkBackend, allow: AllowList, resolver: Resolver):
        self._inner, self._allow, self._resolver = inner, allow, resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            vetted = check_host(host, port, allow=self._allow, resolver=self._resolver)
        except OSError as exc:
            raise httpcore.ConnectError(f"Couldn't look up {host}: {exc}") from exc
        last: Exception | None = None
        for ip in vetted:
            try:
                return self._inner.connect_tcp(
                    str(ip), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options=None):
        raise DestinationRefused("Flowyard won't send requests over local Unix sockets.")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncGuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend, allow: AllowList, resolver: Resolver):
        self._inner, self._allow, self._resolver = inner, allow, resolver

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        def vet() -> list[IPAddress]:
            return check_host(host, port, allow=self._allow, resolver=self._resolver)

        try:
            with anyio.fail_after(timeout):
                vetted = await anyio.to_thread.run_sync(vet, abandon_on_cancel=True)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"Looking up {host} timed out.") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"Couldn't look up {host}: {exc}") from exc
        last: Exception | None = None
        for ip in vetted:
            try:
                return await self._inner.connect_tcp(
                    str(ip), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None
        raise last

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options=None
    ):
        raise DestinationRefused("Flowyard won't send requests over local Unix sockets.")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _install(pool: Any, wrap: Callable[[Any], Any]) -> None:
    # httpx exposes no network_backend argument; its pool keeps it in `_network_backend`.
    # Fail loudly if a future httpcore renames it, rather than silently run unguarded.
    if not hasattr(pool, "_network_backend"):
        raise RuntimeError("httpcore internals changed: cannot install the SSRF guard")
    pool._network_backend = wrap(pool._network_backend)


def _check_request(request: httpx.Request) -> None:
    scheme = request.url.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise DestinationRefused(
            f"Flowyard only sends requests to http:// and https:// addresses, not {scheme}://."
        )


class GuardedTransport(httpx.AsyncHTTPTransport):
    """``httpx.AsyncHTTPTransport`` that refuses internal destinations at connect time.

    ``httpx.AsyncClient(transport=GuardedTransport(allow=[...]))``; every redirect hop goes
    through it too. ``uds`` is refused. With ``proxy=`` the guard vets the proxy's address, and
    the target is only vetted by name (the proxy resolves it), so keep proxies egress-filtered.
    """

    def __init__(
        self,
        *,
        allow: AllowList | Iterable[str] | None = None,
        resolver: Resolver | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("uds"):
            raise ValueError("GuardedTransport does not support Unix sockets")
        super().__init__(**kwargs)
        self.allow = _as_allow_list(allow)
        self._resolver = resolver or system_resolver
        _install(self._pool, lambda b: _AsyncGuardedBackend(b, self.allow, self._resolver))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _check_request(request)
        return await super().handle_async_request(request)


class SyncGuardedTransport(httpx.HTTPTransport):
    """Synchronous twin of :class:`GuardedTransport` for ``httpx.Client``."""

    def __init__(
        self,
        *,
        allow: AllowList | Iterable[str] | None = None,
        resolver: Resolver | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs.get("uds"):
            raise ValueError("SyncGuardedTransport does not support Unix sockets")
        super().__init__(**kwargs)
        self.allow = _as_allow_list(allow)
        self._resolver = resolver or system_resolver
        _install(self._pool, lambda b: _GuardedBackend(b, self.allow, self._resolver))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _check_request(request)
        return super().handle_request(request)
