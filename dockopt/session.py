"""A BuildKit session that serves build secrets, so ``RUN --mount=type=secret`` works over ``/build?version=2``.

Secrets (and ssh agents) never travel in the build request: BuildKit asks the client for them over a
*session*. The Engine API opens one with ``POST /session`` upgraded to h2c; on that connection the engine
is the gRPC client and we serve two methods (BuildKit's ``session/secrets/secrets.proto`` and gRPC's
health service, which BuildKit polls to keep the session alive):

- ``/moby.buildkit.secrets.v1.Secrets/GetSecret``: ``GetSecretRequest{ID=1}`` → ``GetSecretResponse{data=1}``,
  or gRPC status NOT_FOUND for an id nobody provided;
- ``/grpc.health.v1.Health/Check`` → ``HealthCheckResponse{status=SERVING}``.

The build request then names the session (``session=<uuid>``). HTTP/2 framing is h2's; messages are
decoded by protobuf against the declared schema below (BuildKit's field numbers), as in ``buildkit.py``.
A secret's file is read when BuildKit asks for it, and its bytes go only to the engine's RUN step: they
are never written to the context, the build args or any log.
"""

from __future__ import annotations

import functools
import os
import struct
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from . import engine
from .errors import SecretSourceMissing

GET_SECRET = "/moby.buildkit.secrets.v1.Secrets/GetSecret"
HEALTH_CHECK = "/grpc.health.v1.Health/Check"
_SERVING = 1
_NOT_FOUND, _UNIMPLEMENTED, _INTERNAL = 5, 12, 13

_F = descriptor_pb2.FieldDescriptorProto
_SCHEMA = {  # package -> message -> (name, number, type)
    "moby.buildkit.secrets.v1": {"GetSecretRequest": [("ID", 1, _F.TYPE_STRING)],
                                 "GetSecretResponse": [("data", 1, _F.TYPE_BYTES)]},
    "grpc.health.v1": {"HealthCheckRequest": [("service", 1, _F.TYPE_STRING)],
                       "HealthCheckResponse": [("status", 1, _F.TYPE_INT32)]},
}


@functools.lru_cache(maxsize=1)
def _messages() -> dict[str, type]:
    pool = descriptor_pool.DescriptorPool()
    out = {}
    for package, messages in _SCHEMA.items():
        proto = descriptor_pb2.FileDescriptorProto(name=f"dockopt/{package}.proto", package=package, syntax="proto3")
        for msg_name, fields in messages.items():
            msg = proto.message_type.add(name=msg_name)
            for name, number, ftype in fields:
                msg.field.add(name=name, number=number, type=ftype, label=_F.LABEL_OPTIONAL)
        pool.Add(proto)
        for msg_name in messages:
            out[msg_name] = message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.{msg_name}"))
    return out


def check_sources(secrets: Mapping[str, str | os.PathLike[str]]) -> dict[str, Path]:
    """Secret id → file, each checked to be a readable file before a build starts."""
    out = {}
    for secret_id, src in secrets.items():
        path = Path(src).expanduser()
        if not path.is_file():
            raise SecretSourceMissing(f"secret {secret_id!r}: {str(src)!r} is not a file",
                                      hint="pass secrets={'<id>': '<path of a file holding the secret>'}")
        out[secret_id] = path
    return out


def _grpc_frame(message: Any) -> bytes:
    body = message.SerializeToString()
    return struct.pack(">BI", 0, len(body)) + body


def _grpc_body(data: bytes) -> bytes:
    """The message of a unary request: one length-prefixed, uncompressed gRPC frame."""
    if len(data) < 5:
        return b""
    _, length = struct.unpack(">BI", data[:5])
    return data[5:5 + length]


class SecretSession:
    """Serves ``secrets`` (id → file) to the engine on one h2c connection, on a daemon thread.

    ``requested`` records which ids BuildKit asked for (a test can tell that a secret was used).
    """

    def __init__(self, secrets: Mapping[str, Path]) -> None:
        self.id = uuid.uuid4().hex
        self.secrets = dict(secrets)
        self.requested: list[str] = []
        self._sock: Any = None
        self._thread: threading.Thread | None = None

    def open(self) -> None:
        headers = {"X-Docker-Expose-Session-Uuid": self.id, "X-Docker-Expose-Session-Name": "dockopt",
                   "X-Docker-Expose-Session-Sharedkey": self.id,
                   "X-Docker-Expose-Session-Grpc-Method": [GET_SECRET, HEALTH_CHECK]}
        self._sock = engine.open_session(headers)
        self._thread = threading.Thread(target=self._serve, name=f"buildkit-session-{self.id[:8]}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        if self._sock is not None:
            with suppress(OSError):
                self._sock.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _answer(self, path: str, body: bytes) -> tuple[bytes | None, int, str]:
        """(response frame, grpc-status, grpc-message) for one unary call."""
        m = _messages()
        if path == HEALTH_CHECK:
            return _grpc_frame(m["HealthCheckResponse"](status=_SERVING)), 0, ""
        if path == GET_SECRET:
            request = m["GetSecretRequest"]()
            request.ParseFromString(body)
            self.requested.append(request.ID)
            source = self.secrets.get(request.ID)
            if source is None:
                return None, _NOT_FOUND, f"secret {request.ID} not provided"
            try:
                data = source.read_bytes()
            except OSError as exc:
                return None, _INTERNAL, f"secret {request.ID}: {exc.strerror}"
            return _grpc_frame(m["GetSecretResponse"](data=data)), 0, ""
        return None, _UNIMPLEMENTED, f"{path} is not served by dockopt"

    def _serve(self) -> None:
        import h2.config
        import h2.connection
        import h2.events

        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        conn.initiate_connection()
        calls: dict[int, tuple[str, bytearray]] = {}
        replies = _Replies(conn)
        try:
            self._sock.sendall(conn.data_to_send())
            while True:
                data = self._sock.recv(65536)
                if not data:
                    return
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        headers: dict[Any, Any] = dict(event.headers or [])
                        calls[event.stream_id] = (str(headers.get(":path", "")), bytearray())
                    elif isinstance(event, h2.events.DataReceived):
                        if event.stream_id in calls:
                            calls[event.stream_id][1].extend(event.data or b"")
                        conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                    elif isinstance(event, h2.events.StreamEnded) and event.stream_id in calls:
                        path, body = calls.pop(event.stream_id)
                        frame, status, message = self._answer(path, _grpc_body(bytes(body)))
                        replies.start(event.stream_id, frame, status, message)
                    elif isinstance(event, h2.events.StreamReset):
                        calls.pop(event.stream_id, None)
                        replies.drop(event.stream_id)
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        return
                # a window update or new settings may let a waiting reply go on
                replies.flush()
                self._sock.sendall(conn.data_to_send())
        except OSError:
            return  # closed by close() or by the engine: the build is over


class _Replies:
    """Unary gRPC replies written as HTTP/2 allows: a message larger than one frame or than the peer's
    flow-control window (65,535 bytes until the engine raises it) is split into frames, and what the
    window does not admit yet waits for the engine's WINDOW_UPDATE. Without this, a secret over 16 KB
    (a kubeconfig, a CA bundle) broke the session with ``FrameTooLargeError``; BuildKit accepts secrets
    up to 500 KB."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._pending: dict[int, memoryview] = {}

    def start(self, stream_id: int, frame: bytes | None, status: int, message: str) -> None:
        head = [(":status", "200"), ("content-type", "application/grpc")]
        if frame is None:
            self._conn.send_headers(stream_id, [*head, ("grpc-status", str(status)), ("grpc-message", message)],
                                    end_stream=True)
            return
        self._conn.send_headers(stream_id, head)
        self._pending[stream_id] = memoryview(frame)

    def drop(self, stream_id: int) -> None:
        self._pending.pop(stream_id, None)

    def flush(self) -> None:
        for stream_id in list(self._pending):
            rest = self._pending[stream_id]
            while rest:
                room = min(self._conn.local_flow_control_window(stream_id), self._conn.max_outbound_frame_size)
                if room <= 0:
                    break
                self._conn.send_data(stream_id, bytes(rest[:room]))
                rest = rest[room:]
            if rest:
                self._pending[stream_id] = rest
            else:
                del self._pending[stream_id]
                self._conn.send_headers(stream_id, [("grpc-status", "0")], end_stream=True)


@contextmanager
def secret_session(secrets: Mapping[str, str | os.PathLike[str]]) -> Iterator[SecretSession]:
    """A session serving ``secrets`` (id → file path) for the duration of one build."""
    session = SecretSession(check_sources(secrets))
    session.open()
    try:
        yield session
    finally:
        session.close()
