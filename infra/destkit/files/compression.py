"""Decompression of the codecs AEP offers for exported files.

AEP writes exports with Apache Spark, whose text codecs for ``lz4`` and ``snappy`` are Hadoop's block
codecs: a sequence of blocks, each a 4-byte big-endian uncompressed length followed by one or more
chunks of 4-byte big-endian compressed length plus raw codec data. The standard framed formats (LZ4
frame, Snappy framing) are accepted too, recognised by their magic bytes.
"""

from __future__ import annotations

import bz2
import gzip
import struct
import zlib
from typing import Any

CODECS = ("none", "gzip", "bzip2", "lz4", "snappy", "deflate")

# File name suffix -> codec, as Hadoop's codecs name their output.
SUFFIXES = {
    ".gz": "gzip",
    ".gzip": "gzip",
    ".bz2": "bzip2",
    ".lz4": "lz4",
    ".snappy": "snappy",
    ".deflate": "deflate",
}

LZ4_FRAME_MAGIC = b"\x04\x22\x4d\x18"
SNAPPY_FRAME_MAGIC = b"\xff\x06\x00\x00sNaPpY"


class CompressionError(ValueError):
    """The bytes are not valid data of the named codec (truncated or corrupt)."""


def normalise_codec(name: str | None) -> str:
    """Map a codec name in any case (AEP's pages use ``gzip`` and ``GZIP``) to the lowercase name."""
    if name is None:
        return "none"
    codec = name.strip().lower()
    if codec == "uncompressed":
        codec = "none"
    if codec not in CODECS:
        raise ValueError(f"unknown compression codec {name!r}: use one of {', '.join(CODECS)}")
    return codec


def _cramjam() -> Any:
    try:
        import cramjam
    except ImportError as error:  # pragma: no cover - cramjam is a test dependency of the kit
        raise CompressionError("lz4 and snappy need the cramjam package: pip install cramjam") from error
    return cramjam


def _hadoop_blocks(data: bytes, decompress_chunk: Any) -> bytes:
    """Decode Hadoop's block codec layout, checking every length so truncation is an error."""
    out = bytearray()
    offset = 0
    while offset < len(data):
        if offset + 4 > len(data):
            raise CompressionError(f"truncated block header at byte {offset}")
        (expected,) = struct.unpack_from(">I", data, offset)
        offset += 4
        produced = 0
        while produced < expected:
            if offset + 4 > len(data):
                raise CompressionError(f"truncated chunk header at byte {offset}")
            (length,) = struct.unpack_from(">I", data, offset)
            offset += 4
            if offset + length > len(data):
                raise CompressionError(
                    f"chunk at byte {offset} claims {length} bytes, {len(data) - offset} remain"
                )
            chunk = bytes(decompress_chunk(data[offset : offset + length], expected - produced))
            offset += length
            if not chunk:
                raise CompressionError(f"empty chunk at byte {offset}")
            produced += len(chunk)
            out += chunk
        if produced != expected:
            raise CompressionError(f"block decoded to {produced} bytes, header gives {expected}")
    return bytes(out)


def _lz4(data: bytes) -> bytes:
    cramjam = _cramjam()
    if data.startswith(LZ4_FRAME_MAGIC):
        return bytes(cramjam.lz4.decompress(data))
    return _hadoop_blocks(data, lambda chunk, size: cramjam.lz4.decompress_block(chunk, output_len=size))


def _snappy(data: bytes) -> bytes:
    cramjam = _cramjam()
    if data.startswith(SNAPPY_FRAME_MAGIC):
        return bytes(cramjam.snappy.decompress(data))
    return _hadoop_blocks(data, lambda chunk, _size: cramjam.snappy.decompress_raw(chunk))


def decompress(data: bytes, codec: str) -> bytes:
    """Decompress ``data`` with ``codec``; raise CompressionError when it is truncated or corrupt."""
    codec = normalise_codec(codec)
    if codec == "none" or not data:
        return data
    try:
        if codec == "gzip":
            return gzip.decompress(data)
        if codec == "bzip2":
            return bz2.decompress(data)
        if codec == "deflate":
            # Hadoop's DefaultCodec writes a zlib stream.
            decoder = zlib.decompressobj()
            out = decoder.decompress(data)
            if not decoder.eof:
                raise CompressionError("deflate stream ends before its end marker")
            return out
        if codec == "lz4":
            return _lz4(data)
        return _snappy(data)
    except CompressionError:
        raise
    except (OSError, EOFError, ValueError, zlib.error) as error:
        raise CompressionError(f"{codec} data is corrupt or truncated: {error}") from error
    except Exception as error:  # cramjam raises its own DecompressionError type
        if type(error).__name__ == "DecompressionError":
            raise CompressionError(f"{codec} data is corrupt or truncated: {error}") from error
        raise
