"""``/openapi.json``: an OpenAPI 3.1 document assembled from the views' contracts and ``schemas/``."""

from __future__ import annotations

import copy
import re

from flask import Flask

from .validation import SCHEMAS

_RULE_ARG = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")


def _component_name(schema_name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[/_-]", schema_name))


def _rewrite_refs(node, names: set[str], current: str):
    """Refs to a file (``/common/defs.json#/$defs/x``) or within ``current`` (``#/$defs/x``)
    become refs into ``components/schemas``; referenced files are added to ``names``."""
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and (value.startswith("/") or value.startswith("#")):
                file_part, _, pointer = value.partition("#")
                schema_name = file_part.lstrip("/").removesuffix(".json") if file_part else current
                if pointer.startswith("/$defs/"):
                    target = _component_name(schema_name) + "_" + pointer.split("/")[-1]
                else:
                    target = _component_name(schema_name)
                names.add(schema_name)
                out[key] = f"#/components/schemas/{target}"
            else:
                out[key] = _rewrite_refs(value, names, current)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, names, current) for item in node]
    return node


def _add_component(components: dict, schema_name: str) -> None:
    pending = [schema_name]
    while pending:
        name = pending.pop()
        component = _component_name(name)
        if component in components:
            continue
        referenced: set[str] = set()
        schema = _rewrite_refs(copy.deepcopy(SCHEMAS[name]), referenced, name)
        for def_name, definition in schema.pop("$defs", {}).items():
            components[f"{component}_{def_name}"] = definition
        schema.pop("$schema", None)
        schema.pop("$id", None)
        components[component] = schema
        pending.extend(referenced - {name})


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{_component_name(name)}"}


def _parameters(components: dict[str, dict], rule: str, spec) -> list[dict]:
    """The path's parameters, then the query's, each with its schema."""
    parameters = []
    for converter, arg in re.findall(r"<(?:([a-z_]+):)?([a-z_]+)>", rule):
        kind = "integer" if converter == "int" else "string"
        parameters.append({"name": arg, "in": "path", "required": True, "schema": {"type": kind}})
    if spec.query:
        _add_component(components, spec.query)
        query_schema = SCHEMAS[spec.query]
        for name, prop in query_schema.get("properties", {}).items():
            param = {
                "name": name,
                "in": "query",
                "required": name in query_schema.get("required", []),
                "schema": _rewrite_refs(copy.deepcopy(prop), set(), spec.query),
            }
            if prop.get("type") == "array":
                param.update(style="form", explode=False)
            if "description" in prop:
                param["description"] = prop["description"]
            parameters.append(param)
    return parameters


def _responses(components: dict[str, dict], spec) -> dict:
    """The success, and a problem for every status the operation may answer with."""
    success: dict = {"description": "Success"}
    if spec.response:
        _add_component(components, spec.response)
        success["content"] = {"application/json": {"schema": _ref(spec.response)}}
    responses = {str(spec.status): success}
    problem = {"content": {"application/problem+json": {"schema": _ref("common/problem")}}}
    codes = set(spec.errors) | {400}
    if spec.body:
        codes |= {413, 415}
    if spec.auth == "token":
        codes |= {401, 403}
    if spec.response == "common/event-page":  # a feed's cursor may be older than the events kept
        codes |= {410}
    for status in sorted(codes):
        responses[str(status)] = {"description": "Problem", **problem}
    responses["503"] = {"description": "Database unavailable", **problem}
    return responses


def _operation(components: dict[str, dict], rule, method: str, spec) -> dict:
    operation: dict = {
        "summary": spec.summary,
        "operationId": rule.endpoint.replace(".", "_") + "_" + method.lower(),
        "tags": list(spec.tags),
        "parameters": _parameters(components, rule.rule, spec),
        "responses": {},
    }
    if spec.body:
        _add_component(components, spec.body)
        operation["requestBody"] = {
            "required": not spec.optional_body,
            "content": {"application/json": {"schema": _ref(spec.body)}},
        }
    if spec.auth != "public":
        operation["security"] = [{"serviceToken": []}] if spec.auth == "token" else [{}, {"serviceToken": []}]
    operation["responses"] = _responses(components, spec)
    return operation


def build_openapi(app: Flask, title: str, description: str) -> dict:
    components: dict[str, dict] = {}
    _add_component(components, "common/problem")
    paths: dict[str, dict] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        spec = getattr(view, "contract", None)
        if spec is None:
            continue
        path = _RULE_ARG.sub(r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(components, rule, method, spec)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1.0.0", "description": description},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {"serviceToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
