"""A minimal IMAP4rev1 server for tests and the demo (never production), on 127.0.0.1.

Just what ``imaplib`` and the IMAP trigger use: CAPABILITY, LOGIN, SELECT/EXAMINE (with
UIDVALIDITY/UIDNEXT), UID SEARCH (``ALL`` / ``UID a:b``), UID FETCH (UID, FLAGS, RFC822,
RFC822.SIZE, BODY[]/BODY.PEEK[], INTERNALDATE), NOOP, CLOSE, LOGOUT. No pure-Python IMAP
server on PyPI fits a test dependency, so this stays small and strict instead.
"""

from __future__ import annotations

import email.utils
import re
import socketserver
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from types import TracebackType

_TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\S+)')


@dataclass
class Stored:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)
    internal: float = field(default_factory=time.time)


@dataclass
class Mailbox:
    uidvalidity: int
    next_uid: int = 1
    messages: list[Stored] = field(default_factory=list)


def _set(spec: str, highest: int) -> set[int] | None:
    """A sequence set (``1,3:5,7:*``) as numbers; ``*`` is ``highest``. None if malformed."""
    out: set[int] = set()
    for part in spec.split(","):
        low, _, high = part.partition(":")
        try:
            a = highest if low == "*" else int(low)
            b = a if not high else highest if high == "*" else int(high)
        except ValueError:
            return None
        out.update(range(min(a, b), max(a, b) + 1))
    return out


class ImapSandbox:
    """``users`` → password; ``deliver()`` drops mail in; ``with ImapSandbox(...) as imap:``."""

    def __init__(self, users: dict[str, str], *, host: str = "127.0.0.1") -> None:
        self.users = dict(users)
        self.host = host
        self.mailboxes: dict[str, Mailbox] = {"INBOX": Mailbox(uidvalidity=1_700_000_001)}
        self.commands: list[str] = []
        self.lock = threading.Lock()
        self._server: socketserver.ThreadingTCPServer | None = None

    # -- test controls -------------------------------------------------------------------------
    def deliver(self, message: EmailMessage | bytes, mailbox: str = "INBOX") -> int:
        raw = bytes(message) if isinstance(message, EmailMessage) else message
        with self.lock:
            box = self.mailboxes.setdefault(mailbox, Mailbox(uidvalidity=int(time.time())))
            stored = Stored(box.next_uid, raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
            box.messages.append(stored)
            box.next_uid += 1
            return stored.uid

    def renumber(self, mailbox: str = "INBOX") -> None:
        """The server rebuilt the mailbox: new UIDVALIDITY, every UID reassigned from 1."""
        with self.lock:
            box = self.mailboxes[mailbox]
            box.uidvalidity += 1
            for n, stored in enumerate(box.messages, start=1):
                stored.uid = n
            box.next_uid = len(box.messages) + 1

    # -- serving -------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "ImapSandbox is not running."
        return self._server.server_address[1]

    def start(self) -> ImapSandbox:
        sandbox = self

        class Handler(socketserver.StreamRequestHandler):
            disable_nagle_algorithm = True  # one small write per response line

            def handle(self) -> None:
                _Session(sandbox, self.rfile, self.wfile).run()

        server = socketserver.ThreadingTCPServer((self.host, 0), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="imap-sandbox",
            daemon=True,
        ).start()  # fmt: skip
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> ImapSandbox:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _Session:
    """One client connection: NONAUTH → AUTH → SELECTED, one command per line."""

    def __init__(self, sandbox: ImapSandbox, rfile, wfile) -> None:
        self.sandbox, self.rfile, self.wfile = sandbox, rfile, wfile
        self.user: str | None = None
        self.box: Mailbox | None = None
        self.readonly = False

    def send(self, line: str | bytes) -> None:
        self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def run(self) -> None:
        self.send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Flowyard sandbox IMAP ready")
        while line := self.rfile.readline():
            tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
            command, _, args = rest.partition(b" ")
            name = command.decode(errors="replace").upper()
            with self.sandbox.lock:
                self.sandbox.commands.append(name)
                if not self.dispatch(tag.decode(errors="replace"), name, args):
                    return

    def dispatch(self, tag: str, name: str, args: bytes) -> bool:
        if name == "LOGOUT":
            self.send("* BYE Logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return False
        if name == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN")
        elif name == "LOGIN":
            return self.login(tag, args)
        elif self.user is None and name not in ("NOOP",):
            self.send(f"{tag} BAD Log in first")
            return True
        elif name in ("SELECT", "EXAMINE"):
            return self.select(tag, name, args)
        elif name == "UID" and self.box is not None:
            sub, _, rest = args.partition(b" ")
            return self.uid(tag, sub.decode().upper(), rest.decode(errors="replace"))
        elif name == "CLOSE":
            self.box = None
        elif name != "NOOP":
            self.send(f"{tag} BAD Command not supported here")
            return True
        self.send(f"{tag} OK {name} completed")
        return True

    def login(self, tag: str, args: bytes) -> bool:
        parts = [(q or a).decode() for q, a in _TOKEN.findall(args)]
        parts = [p.replace('\\"', '"').replace("\\\\", "\\") for p in parts]
        if len(parts) == 2 and self.sandbox.users.get(parts[0]) == parts[1]:
            self.user = parts[0]
            self.send(f"{tag} OK [CAPABILITY IMAP4rev1] Logged in")
        else:
            self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)")
        return True

    def select(self, tag: str, name: str, args: bytes) -> bool:
        found = _TOKEN.findall(args)
        wanted = (found[0][0] or found[0][1]).decode() if found else ""
        box = self.sandbox.mailboxes.get("INBOX" if wanted.upper() == "INBOX" else wanted)
        if box is None:
            self.send(f"{tag} NO [NONEXISTENT] Unknown Mailbox: {wanted}")
            return True
        self.box, self.readonly = box, name == "EXAMINE"
        self.send(f"* {len(box.messages)} EXISTS")
        self.send("* 0 RECENT")
        self.send(r"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)")
        self.send(f"* OK [UIDVALIDITY {box.uidvalidity}] UIDs valid")
        self.send(f"* OK [UIDNEXT {box.next_uid}] Predicted next UID")
        mode = "READ-ONLY" if name == "EXAMINE" else "READ-WRITE"
        self.send(f"{tag} OK [{mode}] {name} completed")
        return True

    def uid(self, tag: str, sub: str, rest: str) -> bool:
        assert self.box is not None
        highest = self.box.messages[-1].uid if self.box.messages else 0
        if sub == "SEARCH":
            criteria = rest.split()
            if criteria[:1] == ["ALL"]:
                hits = [m.uid for m in self.box.messages]
            elif criteria[:1] == ["UID"] and len(criteria) == 2:
                wanted = _set(criteria[1], highest) or set()
                hits = [m.uid for m in self.box.messages if m.uid in wanted]
            else:
                self.send(f"{tag} BAD Only ALL and UID searches are simulated")
                return True
            self.send("* SEARCH" + "".join(f" {u}" for u in hits))
        elif sub == "FETCH":
            spec, _, items = rest.partition(" ")
            wanted = _set(spec, highest)
            if wanted is None:
                self.send(f"{tag} BAD Invalid sequence set")
                return True
            for seq, stored in enumerate(self.box.messages, start=1):
                if stored.uid in wanted:
                    self.fetch_one(seq, stored, items.upper())
        else:
            self.send(f"{tag} BAD UID {sub} is not simulated")
            return True
        self.send(f"{tag} OK UID {sub} completed")
        return True

    def fetch_one(self, seq: int, stored: Stored, items: str) -> None:
        parts = [f"UID {stored.uid}"]
        if "FLAGS" in items:
            parts.append(f"FLAGS ({' '.join(sorted(stored.flags))})")
        if "INTERNALDATE" in items:
            parts.append(f'INTERNALDATE "{email.utils.formatdate(stored.internal)}"')
        if "RFC822.SIZE" in items:
            parts.append(f"RFC822.SIZE {len(stored.raw)}")
        body_item = next((n for n in ("BODY.PEEK[]", "BODY[]", "RFC822 ", "RFC822)")
                          if n in items + ")"), None)  # fmt: skip
        if body_item is None:
            self.send(f"* {seq} FETCH ({' '.join(parts)})")
            return
        if body_item != "BODY.PEEK[]" and not self.readonly:
            stored.flags.add("\\Seen")
        label = "RFC822" if body_item.startswith("RFC822") else "BODY[]"
        head = f"* {seq} FETCH ({' '.join(parts)} {label} {{{len(stored.raw)}}}"
        self.wfile.write(head.encode() + b"\r\n" + stored.raw + b")\r\n")
