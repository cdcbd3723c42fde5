"""Turning a method's parameters into an HTTP body.

Plain calls are sent as ``application/json``. Only a call that uploads a file is
sent as ``multipart/form-data``; then every other parameter is a form field, with
nested values (reply markups, entity lists, media arrays) JSON-encoded.

What a file parameter may be (the forms telepot documented, plus two more):

* a ``str``: a ``file_id`` or an HTTP URL, sent as a plain value;
* a file-like object (anything with ``read``), e.g. ``open(path, "rb")``;
* ``(filename, file-like)``, or ``(filename, file-like, content_type)``;
* ``bytes`` or a :class:`os.PathLike` (actorbot additions).

Inside InputMedia-like objects (``sendMediaGroup``'s ``media``, ``editMessageMedia``,
stickers, stories, profile photos...) an attachable field (``media``,
``thumbnail``, ``cover``...) may also be one of those, or
``(attach_name, file-like)`` / ``(attach_name, (filename, file-like))`` to choose
the form-data name. :func:`split_attachments` replaces each with
``attach://<name>``; generated names never collide with a name the caller chose
nor with a parameter name of the call.

Everything here runs on the calling thread and keeps no state.
"""

from __future__ import annotations

import dataclasses
import json
import keyword
import mimetypes
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import urllib3

__all__ = [
    "Upload",
    "jsonable",
    "as_mapping",
    "is_file_spec",
    "to_upload",
    "split_attachments",
    "encode_json",
    "encode_multipart",
]


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart body, read into memory when the request is encoded."""

    filename: str
    data: bytes
    content_type: str

    def __repr__(self) -> str:
        return f"Upload({self.filename!r}, <{len(self.data)} bytes>, {self.content_type!r})"


def _wire_key(name: str) -> str:
    """``from_`` -> ``from``: a keyword field name as the Bot API spells it."""
    return name[:-1] if name.endswith("_") and keyword.iskeyword(name[:-1]) else name


def as_mapping(value: Any) -> Mapping[str, Any] | None:
    """``value`` as a dict of its non-None fields when it is an object, else None.

    Objects are dicts, :mod:`actorbot.namedtuple` instances (keyed by their Bot API
    field names), other namedtuples, dataclasses and anything with ``to_dict()``.
    """
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items() if v is not None}
    if isinstance(value, tuple):
        wire = getattr(type(value), "_wire_names", None)
        if isinstance(wire, tuple):
            return {w: v for w, v in zip(wire, value, strict=True) if v is not None}
        if hasattr(value, "_asdict"):
            return {_wire_key(k): v for k, v in value._asdict().items() if v is not None}
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            _wire_key(f.name): getattr(value, f.name)
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not None
        }
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        result = to_dict()
        return result if isinstance(result, Mapping) else None
    return None


def jsonable(value: Any) -> Any:
    """A JSON-ready copy of ``value``: None fields dropped, objects (see :func:`as_mapping`) as dicts."""
    mapping = as_mapping(value)
    if mapping is not None:
        return {k: jsonable(v) for k, v in mapping.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def _is_file_like(value: Any) -> bool:
    return callable(getattr(value, "read", None))


def is_file_spec(value: Any) -> bool:
    """Whether ``value`` is an upload (not a file_id/URL string)."""
    if isinstance(value, (bytes, bytearray, memoryview, os.PathLike)) or _is_file_like(value):
        return True
    return (
        isinstance(value, tuple)
        and not hasattr(value, "_asdict")
        and len(value) in (2, 3)
        and isinstance(value[0], str)
        and (_is_file_like(value[1]) or isinstance(value[1], (bytes, bytearray)))
    )


def _guess_filename(obj: Any) -> str | None:
    name = getattr(obj, "name", None)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    if isinstance(name, str) and name and not (name.startswith("<") and name.endswith(">")):
        return os.path.basename(name)
    return None


def _read(obj: Any) -> bytes:
    data = obj.read()
    if isinstance(data, str):  # a text-mode file: send its UTF-8 bytes
        data = data.encode("utf-8")
    return bytes(data)


def to_upload(spec: Any, default_name: str) -> Upload:
    """Read a file spec (see the module docstring) into an :class:`Upload`."""
    content_type: str | None = None
    if isinstance(spec, tuple):
        filename, source = spec[0], spec[1]
        if len(spec) == 3:
            content_type = spec[2]
        data = bytes(source) if isinstance(source, (bytes, bytearray)) else _read(source)
    elif isinstance(spec, os.PathLike):
        path = os.fspath(spec)
        filename = os.path.basename(os.fsdecode(path))
        with open(path, "rb") as fh:
            data = fh.read()
    elif isinstance(spec, (bytes, bytearray, memoryview)):
        filename, data = default_name, bytes(spec)
    elif _is_file_like(spec):
        filename = _guess_filename(spec) or default_name
        data = _read(spec)
    else:
        raise TypeError(f"not a file: {type(spec).__name__}")
    if content_type is None:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return Upload(filename, data, content_type)


def _names(prefix: str, taken: set[str]) -> Iterator[str]:
    n = 0
    while True:
        n += 1
        name = f"{prefix}{n}"
        if name not in taken:
            taken.add(name)
            yield name


def _caller_names(value: Any, fields: frozenset[str], out: set[str]) -> None:
    mapping = None if _is_named_attachment(value) else as_mapping(value)
    if mapping is not None:
        for key, item in mapping.items():
            if key in fields and _is_named_attachment(item):
                out.add(item[0])
            else:
                _caller_names(item, fields, out)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _caller_names(item, fields, out)


def _is_named_attachment(item: Any) -> bool:
    """``(attach_name, file-like)`` or ``(attach_name, (filename, file-like))``."""
    return (
        isinstance(item, tuple)
        and not hasattr(item, "_asdict")
        and len(item) == 2
        and isinstance(item[0], str)
        and (_is_file_like(item[1]) or isinstance(item[1], (bytes, bytearray)) or is_file_spec(item[1]))
    )


def _replace(value: Any, fields: frozenset[str], names: Iterator[str], files: dict[str, Any]) -> Any:
    mapping = as_mapping(value)
    if mapping is not None:
        out = {}
        for key, item in mapping.items():
            if key in fields and item is not None and not isinstance(item, str):
                if _is_named_attachment(item):
                    name, spec = item
                    if isinstance(spec, tuple) or not _is_file_like(spec):
                        files[name] = spec
                    else:
                        files[name] = (_guess_filename(spec) or name, spec)
                elif is_file_spec(item):
                    name = next(names)
                    files[name] = item
                else:
                    out[key] = _replace(item, fields, names, files)
                    continue
                out[key] = "attach://" + name
            else:
                out[key] = _replace(item, fields, names, files)
        return out
    if isinstance(value, (list, tuple)):
        return [_replace(item, fields, names, files) for item in value]
    return value


def split_attachments(
    params: dict[str, Any], media_fields: Mapping[str, tuple[str, ...]], reserved: set[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Move uploads out of InputMedia-like parameters, leaving ``attach://<name>``.

    :param params: the call's parameters.
    :param media_fields: parameter name -> attachable field names (``MEDIA_PARAMS[method]``).
    :param reserved: names that generated names must avoid (the call's form field and
        file part names).
    :returns: the new parameters and ``{attach_name: file spec}``.
    :raises ValueError: when two uploads were given the same name, or a chosen name
        is also a parameter name.
    """
    chosen: set[str] = set()
    for pname, fields in media_fields.items():
        if pname in params:
            _caller_names(params[pname], frozenset(fields), chosen)
    clash = chosen & reserved
    if clash:
        raise ValueError(f"attachment name(s) {sorted(clash)} clash with parameter names")
    names = _names("file", set(chosen) | set(reserved))
    files: dict[str, Any] = {}
    out = dict(params)
    for pname, fields in media_fields.items():
        if pname in params:
            out[pname] = _replace(params[pname], frozenset(fields), names, files)
    return out, files


# Built once: ``json.dumps`` with options builds a new encoder on every call. Stateless.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_SCALARS = frozenset((str, int, float, bool))


def _dumps(value: Any) -> str:
    return _ENCODE(jsonable(value))


def encode_json(fields: Mapping[str, Any]) -> bytes:
    """The JSON body for ``fields`` (None values dropped at every level)."""
    if type(fields) is dict and all(type(k) is str and type(v) in _SCALARS for k, v in fields.items()):
        return _ENCODE(fields).encode("utf-8")  # flat and plain (most calls): nothing to convert
    return _dumps(fields).encode("utf-8")


def _form_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return _dumps(value)  # numbers, booleans ("true"), dicts and lists as JSON


def encode_multipart(fields: Mapping[str, Any], files: Mapping[str, Any]) -> tuple[bytes, str]:
    """A multipart/form-data body: ``fields`` as form fields, ``files`` as file parts.

    :returns: ``(body, content_type)``.
    """
    parts: list[Any] = []
    for key, value in fields.items():
        if value is not None:
            parts.append((key, _form_value(value)))
    for key, spec in files.items():
        upload = spec if isinstance(spec, Upload) else to_upload(spec, key)
        parts.append((key, (upload.filename, upload.data, upload.content_type)))
    body, content_type = urllib3.encode_multipart_formdata(parts)
    return body, content_type
