"""BuildKit progress → step records (pure: no engine calls).

The Engine API's ``POST /build?version=2`` streams JSON messages; those with
``id == "moby.buildkit.trace"`` carry a base64 protobuf ``moby.buildkit.v1.StatusResponse``
(BuildKit's ``api/services/control/control.proto``). The schema below declares the fields
dockopt reads, with upstream's field numbers, and protobuf itself does the decoding; fields
left out (``Vertex.progressGroup``, ``VertexWarning.info/ranges``) are skipped as unknown.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

_F = descriptor_pb2.FieldDescriptorProto
# (name, number, type, label, message type) per message; numbers are BuildKit's.
_SCHEMA: dict[str, list[tuple[str, int, int, int, str | None]]] = {
    "StatusResponse": [
        ("vertexes", 1, _F.TYPE_MESSAGE, _F.LABEL_REPEATED, ".moby.buildkit.v1.Vertex"),
        ("statuses", 2, _F.TYPE_MESSAGE, _F.LABEL_REPEATED, ".moby.buildkit.v1.VertexStatus"),
        ("logs", 3, _F.TYPE_MESSAGE, _F.LABEL_REPEATED, ".moby.buildkit.v1.VertexLog"),
        ("warnings", 4, _F.TYPE_MESSAGE, _F.LABEL_REPEATED, ".moby.buildkit.v1.VertexWarning"),
    ],
    "Vertex": [
        ("digest", 1, _F.TYPE_STRING, _F.LABEL_OPTIONAL, None),
        ("inputs", 2, _F.TYPE_STRING, _F.LABEL_REPEATED, None),
        ("name", 3, _F.TYPE_STRING, _F.LABEL_OPTIONAL, None),
        ("cached", 4, _F.TYPE_BOOL, _F.LABEL_OPTIONAL, None),
        ("started", 5, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.Timestamp"),
        ("completed", 6, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.Timestamp"),
        ("error", 7, _F.TYPE_STRING, _F.LABEL_OPTIONAL, None),
    ],
    "VertexStatus": [
        ("ID", 1, _F.TYPE_STRING, _F.LABEL_OPTIONAL, None),
        ("vertex", 2, _F.TYPE_STRING, _F.LABEL_OPTIONAL, None),
        ("name", 3, _F.TYPE_STRING, _F.LABEL_OPTIONAL, None),
        ("current", 4, _F.TYPE_INT64, _F.LABEL_OPTIONAL, None),
        ("total", 5, _F.TYPE_INT64, _F.LABEL_OPTIONAL, None),
        ("timestamp", 6, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.Timestamp"),
        ("started", 7, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.Timestamp"),
        ("completed", 8, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.Timestamp"),
    ],
    "VertexLog": [
        ("vertex", 1, _F.TYPE_STRING, _F.LABEL_OPTIONAL, None),
        ("timestamp", 2, _F.TYPE_MESSAGE, _F.LABEL_OPTIONAL, ".google.protobuf.Timestamp"),
        ("stream", 3, _F.TYPE_INT64, _F.LABEL_OPTIONAL, None),
        ("msg", 4, _F.TYPE_BYTES, _F.LABEL_OPTIONAL, None),
    ],
    "VertexWarning": [
        ("vertex", 1, _F.TYPE_STRING, _F.LABEL_OPTIONAL, None),
        ("level", 2, _F.TYPE_INT64, _F.LABEL_OPTIONAL, None),
        ("short", 3, _F.TYPE_BYTES, _F.LABEL_OPTIONAL, None),
        ("detail", 4, _F.TYPE_BYTES, _F.LABEL_REPEATED, None),
        ("url", 5, _F.TYPE_STRING, _F.LABEL_OPTIONAL, None),
    ],
}


@functools.lru_cache(maxsize=1)
def _status_response_class() -> type:
    from google.protobuf import timestamp_pb2

    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(timestamp_pb2.DESCRIPTOR.serialized_pb)
    proto = descriptor_pb2.FileDescriptorProto(
        name="dockopt/buildkit_status.proto", package="moby.buildkit.v1", syntax="proto3",
        dependency=["google/protobuf/timestamp.proto"])
    for msg_name, fields in _SCHEMA.items():
        msg = proto.message_type.add(name=msg_name)
        for name, number, ftype, label, type_name in fields:
            f = msg.field.add(name=name, number=number, type=ftype, label=label)
            if type_name:
                f.type_name = type_name
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("moby.buildkit.v1.StatusResponse"))


def decode_trace(aux: str | bytes) -> Any:
    """Decode one ``moby.buildkit.trace`` payload (base64 text) into a StatusResponse message."""
    raw = base64.b64decode(aux)
    message = _status_response_class()()
    message.ParseFromString(raw)
    return message


# "[build 2/4] RUN npm ci", "[2/3] COPY . .", "[stage-1 3/5] COPY --from=build ...",
# "[internal] load build definition from Dockerfile", "exporting to image".
_STEP_NAME = re.compile(r"^\[(?:(?P<stage>[^\]\s]+) )?(?P<index>\d+)/(?P<total>\d+)\] (?P<instruction>.*)$", re.S)
_BRACKETED = re.compile(r"^\[(?P<tag>[^\]]+)\] (?P<rest>.*)$", re.S)


@dataclass(frozen=True)
class StepName:
    """What a vertex name says about the Dockerfile step it came from."""

    stage: str | None
    index: int | None
    total: int | None
    instruction: str
    dockerfile_step: bool


def parse_vertex_name(name: str) -> StepName:
    m = _STEP_NAME.match(name)
    if m:
        stage = m.group("stage")
        return StepName(stage=stage, index=int(m.group("index")), total=int(m.group("total")),
                        instruction=m.group("instruction").strip(), dockerfile_step=True)
    return StepName(stage=None, index=None, total=None, instruction=name.strip(), dockerfile_step=False)


def _ts(message: Any, field_name: str) -> datetime | None:
    if not message.HasField(field_name):
        return None
    ts = getattr(message, field_name)
    return datetime.fromtimestamp(ts.seconds + ts.nanos / 1e9, tz=UTC)


@dataclass
class _VertexState:
    digest: str
    name: str = ""
    first_seen: int = 0
    cached: bool = False
    started: datetime | None = None
    completed: datetime | None = None
    error: str = ""
    inputs: tuple[str, ...] = ()
    logs: list[bytes] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)


class TraceCollector:
    """Accumulates StatusResponse updates; a vertex's later updates refine earlier ones."""

    def __init__(self) -> None:
        self._vertices: dict[str, _VertexState] = {}
        self._order = 0

    def feed(self, response: Any) -> list[str]:
        """Merge one StatusResponse; returns digests of vertices that completed in it."""
        done: list[str] = []
        for v in response.vertexes:
            state = self._vertices.get(v.digest)
            if state is None:
                state = self._vertices[v.digest] = _VertexState(digest=v.digest, first_seen=self._order)
                self._order += 1
            state.name = v.name or state.name
            state.inputs = tuple(v.inputs) or state.inputs
            state.cached = state.cached or v.cached
            state.started = _ts(v, "started") or state.started
            completed = _ts(v, "completed")
            if completed and not state.completed:
                done.append(v.digest)
            state.completed = completed or state.completed
            state.error = v.error or state.error
        for status in response.statuses:
            state = self._vertices.get(status.vertex)
            if state is not None:
                state.statuses.add(status.ID)
        for log in response.logs:
            state = self._vertices.get(log.vertex)
            if state is not None:
                state.logs.append(bytes(log.msg))
        return done

    def feed_aux(self, aux: str | bytes) -> list[str]:
        return self.feed(decode_trace(aux))

    def name_of(self, digest: str) -> str:
        return self._vertices[digest].name if digest in self._vertices else ""

    def failing(self) -> tuple[str, str, tuple[str, ...]] | None:
        """(vertex name, instruction, last log lines) of the first vertex that reported an error."""
        failed = [v for v in self._vertices.values() if v.error]
        if not failed:
            return None
        v = min(failed, key=lambda s: s.first_seen)
        return v.name, parse_vertex_name(v.name).instruction, log_tail(v.logs)

    def steps(self) -> pd.DataFrame:
        return steps_frame(self._vertices.values())


def log_tail(chunks: Iterable[bytes], lines: int = 20) -> tuple[str, ...]:
    text = b"".join(chunks).decode(errors="replace")
    return tuple(line.rstrip("\r") for line in text.splitlines()[-lines:] if line.strip())


STEP_COLUMNS = ["order", "stage", "index", "total", "instruction", "name", "dockerfile_step", "cached",
                "buildkit_cached", "started", "completed", "duration_s", "error", "digest", "log_bytes",
                "transfers"]


def steps_frame(vertices: Iterable[_VertexState]) -> pd.DataFrame:
    """Each row is one BuildKit step (vertex), in the order BuildKit first reported it.

    ``dockerfile_step`` is True for vertices that stand for a Dockerfile instruction
    (named ``[stage i/n] INSTRUCTION``); the others are BuildKit's own work (loading the
    definition and context, resolving metadata, exporting).

    ``buildkit_cached`` is BuildKit's own flag. ``cached`` also counts a ``FROM`` step whose image
    was already local: BuildKit 0.8 (Engine 20.10) never flags that source as cached, though it
    ran nothing and fetched nothing; a FROM that pulled shows transfers (``transfers`` > 0) and
    stays uncached.
    """
    rows = []
    for v in sorted(vertices, key=lambda s: s.first_seen):
        parsed = parse_vertex_name(v.name)
        duration = (v.completed - v.started).total_seconds() if v.started and v.completed else None
        local_base = (parsed.dockerfile_step and parsed.instruction.upper().startswith("FROM ")
                      and v.completed is not None and not v.error and not v.statuses)
        rows.append({
            "order": v.first_seen,
            "stage": parsed.stage,
            "index": parsed.index,
            "total": parsed.total,
            "instruction": parsed.instruction,
            "name": v.name,
            "dockerfile_step": parsed.dockerfile_step,
            "cached": bool(v.cached) or local_base,
            "buildkit_cached": bool(v.cached),
            "started": v.started,
            "completed": v.completed,
            "duration_s": duration if duration is None else max(duration, 0.0),
            "error": v.error or None,
            "digest": v.digest,
            "log_bytes": sum(len(c) for c in v.logs),
            "transfers": len(v.statuses),
        })
    df = pd.DataFrame(rows, columns=STEP_COLUMNS)
    df["index"] = df["index"].astype("Int64")
    df["total"] = df["total"].astype("Int64")
    df["duration_s"] = df["duration_s"].astype("float64")
    for col in ("started", "completed"):
        df[col] = pd.to_datetime(df[col], utc=True)
    return df


def steps_from_messages(messages: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """Replay recorded /build?version=2 JSON messages into the steps table."""
    collector = TraceCollector()
    for msg in messages:
        if msg.get("id") == "moby.buildkit.trace" and isinstance(msg.get("aux"), str):
            collector.feed_aux(msg["aux"])
    return collector.steps()


@dataclass(frozen=True)
class BuildStream:
    """What one ``/build?version=2`` response said: the image id or the error, and every step."""

    image_id: str | None
    error: str | None
    steps: pd.DataFrame = field(repr=False)
    failing: tuple[str, str, tuple[str, ...]] | None = None


def read_build_stream(messages: Iterable[dict[str, Any]],
                      on_step_done: Callable[[StepName], None] | None = None) -> BuildStream:
    """Consume the engine's JSON messages (live or recorded); calls ``on_step_done`` per finished step."""
    collector = TraceCollector()
    image_id: str | None = None
    error: str | None = None
    for msg in messages:
        if msg.get("id") == "moby.buildkit.trace" and isinstance(msg.get("aux"), str):
            for digest in collector.feed_aux(msg["aux"]):
                if on_step_done is not None:
                    on_step_done(parse_vertex_name(collector.name_of(digest)))
        elif msg.get("id") == "moby.image.id":
            image_id = msg["aux"]["ID"]
        elif "error" in msg or "errorDetail" in msg:
            error = (msg.get("errorDetail") or {}).get("message") or msg.get("error") or ""
    return BuildStream(image_id=image_id, error=error, steps=collector.steps(), failing=collector.failing())
