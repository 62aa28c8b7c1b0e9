"""An image read straight from a registry: manifest, config and layer blobs over the v2 HTTP API.

No engine and no ``docker save``: each layer blob is streamed (downloaded on a thread while the
previous bytes are parsed), decompressed on the fly (gzip or zstd, by media type or by its first
bytes) and read header by header by the same reader as every other source (``tar.ChunkSource``
→ ``tar.Decompressed`` → ``layer.scan_layer``), then ``contents.build_contents`` stacks the
layers exactly as for an archive. Each blob's digest is checked as it ends.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

from ..errors import ArchiveError
from .contents import ImageContents, build_contents
from .layer import CaptureBudget, CapturePolicy, CaptureSink, LayerEntries, scan_layer
from .tar import ByteSource, ChunkSource, Decompressed, codec_of

_END = object()


def _prefetched(chunks: Iterable[bytes], depth: int = 8) -> Iterator[bytes]:
    """``chunks`` produced on a thread (the download) while the caller consumes them (the parsing);
    at most ``depth`` chunks wait. Errors of the producer are raised in the consumer."""
    import queue
    import threading

    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def run() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        q.put(chunk, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_END)
        except BaseException as exc:  # handed over, raised by the consumer
            q.put(exc)

    thread = threading.Thread(target=run, name="dockopt-blob", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()


def _layer_source(chunks: Iterator[bytes], declared: str | None) -> tuple[ChunkSource, ByteSource]:
    """(the raw blob, the tar to read): decompressed by the media type's codec, or by the magic
    bytes when the media type does not say (or says something else than the bytes)."""
    first = b""
    for first in chunks:
        if first:
            break
    raw = ChunkSource(itertools.chain([first], chunks))
    codec = codec_of(first[:4]) or declared
    return raw, (Decompressed(raw, codec) if codec else raw)


def read_registry_image(ref: str, *, platform: str | None = None, capture: CapturePolicy | None = None,
                        on_capture: CaptureSink | None = None, client: object | None = None) -> ImageContents:
    """Read ``ref`` (``HOST[:PORT]/REPO[:TAG][@DIGEST]``) from its registry, tar headers only.

    ``platform``: ``os/arch[/variant]`` picked from an index (default linux/amd64). Raises
    ``BadReference``, ``RegistryUnreachable``, ``ManifestNotFound``, ``RegistryAuthError`` and,
    for a blob that is not a layer tar, ``ArchiveError``.
    """
    from .. import registry

    reference = registry.Reference.parse(ref)
    reg = client if isinstance(client, registry.Registry) else registry.Registry(reference.registry)
    manifest = reg.manifest(reference, platform)
    config = reg.config(manifest)
    budget = CaptureBudget()
    ordered: list[tuple[str, LayerEntries]] = []
    for layer in manifest.layers:
        what = f"{ref}: layer {layer.digest}"
        raw, tar = _layer_source(_prefetched(reg.blob(reference.repository, layer.digest)), layer.codec)
        try:
            entries = scan_layer(tar, what, capture, budget, on_capture)
            raw.skip(1 << 62)  # the rest of the blob (padding, a compressed trailer): the digest check needs it
        except ArchiveError as exc:
            raise ArchiveError(f"{what} ({layer.media_type}): {exc.message}", hint=exc.hint) from exc
        finally:
            raw.close()
        ordered.append((layer.digest, entries))
    diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    return build_contents(str(reference), config, ordered, diff_ids, budget)
