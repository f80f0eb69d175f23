"""Request validation against the JSON Schema documents in ``schemas/``.

A view declares its contract with :func:`contract`; the decorator checks the content
type, parses the body, refuses operator-shaped keys, validates body and query string
against their schemas (reporting every failing field), and passes the clean values to
the view as ``body=`` and ``query=``. The same declarations build ``/openapi.json``.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import make_response, request
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .auth import require_principal
from .errors import Problem, validation_problem

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
# An Idempotency-Key: 1-255 visible ASCII characters (it travels as an HTTP header).
IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def _load_registry(root: Path) -> tuple[Registry, dict[str, dict]]:
    documents: dict[str, dict] = {}
    for path in sorted(root.rglob("*.json")):
        name = path.relative_to(root).with_suffix("").as_posix()
        documents[name] = json.loads(path.read_text(encoding="utf-8"))
    registry = Registry().with_resources(
        (f"/{name}.json", Resource.from_contents(doc, default_specification=DRAFT202012))
        for name, doc in documents.items()
    )
    return registry, documents


REGISTRY, SCHEMAS = _load_registry(SCHEMA_DIR)


def contract_enum(name: str, definition: str) -> tuple[str, ...]:
    """The values a contract allows for one of its definitions (``$defs/<definition>`` of
    ``schemas/<name>.json``): what an enum elsewhere (the gateway's, say) is derived from."""
    return tuple(SCHEMAS[name]["$defs"][definition]["enum"])


_validators: dict[str, Draft202012Validator] = {}


def validator(name: str) -> Draft202012Validator:
    """The validator for ``schemas/<name>.json`` (built once per process)."""
    if name not in _validators:
        if name not in SCHEMAS:
            raise KeyError(f"no schema named {name!r} in schemas/")
        schema = SCHEMAS[name]
        Draft202012Validator.check_schema(schema)
        _validators[name] = Draft202012Validator(
            schema, registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
    return _validators[name]


def _field(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def forbidden_keys(value: Any, path: tuple = ()) -> list[dict]:
    """Keys that MongoDB would read as operators or paths: ``$…`` or containing ``.``."""
    found: list[dict] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("$") or "." in key or "\x00" in key:
                found.append({"field": _field(path + (key,)), "message": "keys may not start with '$' or contain '.'"})
            else:
                found.extend(forbidden_keys(item, path + (key,)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(forbidden_keys(item, path + (index,)))
    return found


def validate(name: str, instance: Any) -> Any:
    """Validate ``instance`` against ``schemas/<name>.json``; 400 with every failing field."""
    errors = forbidden_keys(instance)
    if errors:
        raise validation_problem(errors, "The request uses keys that are not allowed.")
    failures = sorted(validator(name).iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    if failures:
        raise validation_problem([item for e in failures for item in _describe(e)])
    return instance


_UNEXPECTED = re.compile(r"\((.+) (?:was|were) unexpected\)")


def _describe(error) -> list[dict]:
    """One entry per failing field; an unknown key is named as the field itself."""
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        found = _UNEXPECTED.search(error.message)
        if found:
            keys = [key.strip().strip("'") for key in found.group(1).split(",")]
            return [{"field": _field(list(error.absolute_path) + [key]), "message": "unknown field"} for key in keys]
    return [{"field": _field(error.absolute_path) or "(root)", "message": _message(error)}]


def _message(error) -> str:
    # jsonschema messages echo the offending value; keep them short for huge inputs.
    message = error.message
    return message if len(message) <= 300 else message[:297] + "..."


def _resolved(prop: dict) -> dict:
    while "$ref" in prop and "type" not in prop:
        prop = REGISTRY.resolver().lookup(prop["$ref"]).contents
    return prop


def _coerce(raw: str, prop: dict) -> Any:
    """Query strings are text; turn them into what the schema declares where they can be."""
    kind = _resolved(prop).get("type")
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw.lower(), raw)
    if kind == "array":
        return [part.strip() for part in raw.split(",")] if raw else []
    return raw


def parse_query(name: str) -> dict:
    schema = SCHEMAS[name]
    props = schema.get("properties", {})
    values: dict[str, Any] = {}
    errors = []
    for key in request.args:
        items = request.args.getlist(key)
        if len(items) > 1:
            errors.append({"field": key, "message": "given more than once"})
            continue
        values[key] = _coerce(items[0], props.get(key, {}))
    if errors:
        raise validation_problem(errors)
    return validate(name, values)


JSON_MEDIA_TYPES = ("application/json", "application/merge-patch+json")


def _json_number(text: str) -> float | int:
    """JSON has one number type: ``32.0`` is the integer 32 (JSON Schema agrees), so it reaches the
    code as one; infinite values are not numbers at all."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return int(value) if value.is_integer() else value


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse_body(name: str) -> Any:
    mimetype = request.mimetype or ""
    if mimetype not in JSON_MEDIA_TYPES:
        raise Problem(
            415, "UNSUPPORTED_MEDIA_TYPE", f"Send the body as application/json (got {mimetype or 'no content type'})."
        )
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    try:
        payload = json.loads(raw, parse_float=_json_number, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, "MALFORMED_JSON", "The request body is not valid JSON.", title="Malformed JSON") from exc
    return validate(name, payload)


@dataclass
class Contract:
    """What a view promises: read by the decorator at request time and by the OpenAPI builder."""

    summary: str
    body: str | None = None
    query: str | None = None
    response: str | None = None
    status: int = 200
    auth: str = "public"  # public | token
    roles: tuple[str, ...] = ()  # with auth="token": who may call; any signed-in role when empty
    optional_body: bool = False  # an empty request means an empty object
    errors: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    extra_responses: dict[int, str] = field(default_factory=dict)
    max_age: int = 0  # a public read: an anonymous caller may reuse a 200 this many seconds


def contract(**kwargs) -> Callable:
    spec = Contract(**kwargs)

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args, **kw):
            if spec.auth == "token":
                # Who is calling is settled before anything about the request is read.
                kw["principal"] = require_principal(*spec.roles)
            if spec.query:
                kw["query"] = parse_query(spec.query)
            elif request.args:
                raise validation_problem([{"field": key, "message": "unknown query parameter"} for key in request.args])
            if spec.body:
                empty = spec.optional_body and not request.get_data(cache=True)
                kw["body"] = {} if empty else parse_body(spec.body)
            return cacheable(make_response(view(*args, **kw)), spec.max_age)

        wrapper.contract = spec  # type: ignore[attr-defined]
        return wrapper

    return decorate


# How long a caller may reuse an anonymous public read of the catalogue or of packages (the
# gateway's HTTP cache honours it), and of the knowledge base, which only the seed writes.
PUBLIC_READ_SECONDS = 1
KNOWLEDGE_SECONDS = 60


def cacheable(response, seconds: int):
    """Mark a 200 to an anonymous caller reusable for ``seconds``; anything else stays ``no-store``
    (set for every response by the app factory)."""
    if seconds and response.status_code == 200 and "Authorization" not in request.headers:
        response.headers["Cache-Control"] = f"public, max-age={seconds}"
        response.headers["Vary"] = "Authorization, Accept-Language"
    return response


def if_match_version() -> int | None:
    """The version a client says it last read (``If-Match: "3"``), or None when it says nothing."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    try:
        return int(raw.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise validation_problem(
            [{"field": "If-Match", "message": 'must be an ETag this API gave out, e.g. "3"'}]
        ) from None
