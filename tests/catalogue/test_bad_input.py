"""Bad input gets a precise problem response and changes nothing."""

from __future__ import annotations

import json

import pytest

from tests.support import stored_clinics

PATCH_URL = "/clinics/oracle-skin-clinic"


@pytest.fixture
def admin(bearer):
    return bearer("CLINIC_ADMIN", clinic="oracle-skin-clinic")


def send(client, body: bytes | str, headers: dict, content_type: str = "application/json"):
    return client.patch(PATCH_URL, data=body, headers={**headers, "Content-Type": content_type})


def assert_problem(answer, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert answer.mimetype == "application/problem+json"
    body = answer.json
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:clinicbridge:problem:{code.lower().replace('_', '-')}"
    assert body["requestId"] == answer.headers["X-Request-ID"]
    return body


@pytest.mark.parametrize("raw", ['{"name": ', "not json", '{"name": {"en": "x"}} trailing', "\xff\xfe"])
def test_malformed_json_is_400_and_writes_nothing(catalogue, client, admin, raw):
    before = stored_clinics(catalogue)
    assert_problem(send(client, raw, admin), 400, "MALFORMED_JSON")
    assert stored_clinics(catalogue) == before


def test_every_failing_field_is_reported(catalogue, client, admin):
    before = stored_clinics(catalogue)
    body = {
        "name": {"fr": "Clinique"},  # English required, fr is fine
        "district": "ATLANTIS",  # not a district
        "languages": {"booking": ["english"]},  # not an ISO code
        "contact": {"email": "not-an-email", "fax": "1"},  # bad format, unknown field
        "location": {"lat": 123, "lng": 0},  # out of range
        "colour": "blue",  # unknown field
    }
    problem = assert_problem(client.patch(PATCH_URL, json=body, headers=admin), 400, "VALIDATION_FAILED")
    fields = {error["field"] for error in problem["errors"]}
    assert fields == {
        "name",
        "district",
        "languages.booking[0]",
        "contact.email",
        "contact.fax",
        "location.lat",
        "colour",
    }
    assert stored_clinics(catalogue) == before


@pytest.mark.parametrize(
    "body,field",
    [
        ({"$set": {"name": {"en": "x"}}}, "$set"),
        ({"name": {"en": "x", "$where": "1"}}, "name.$where"),
        ({"contact": {"phone.number": "1"}}, "contact.phone.number"),
        ({"procedures": [{"code": "TCA_CROSS", "$inc": {"x": 1}}]}, "procedures[0].$inc"),
        ({"doctors": [{"name": {"en": "Dr"}, "specialties": [{"$ne": None}]}]}, None),
    ],
)
def test_operator_and_dotted_keys_are_refused(catalogue, client, admin, body, field):
    before = stored_clinics(catalogue)
    problem = assert_problem(client.patch(PATCH_URL, json=body, headers=admin), 400, "VALIDATION_FAILED")
    if field:
        assert field in {error["field"] for error in problem["errors"]}
    assert stored_clinics(catalogue) == before


def test_a_body_over_the_limit_is_413(catalogue, client, admin):
    before = stored_clinics(catalogue)
    huge = json.dumps({"description": {"en": "x" * (catalogue.config["MAX_CONTENT_LENGTH"] + 10)}})
    assert_problem(send(client, huge, admin), 413, "PAYLOAD_TOO_LARGE")
    assert stored_clinics(catalogue) == before


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_a_body_that_is_not_json_is_415(catalogue, client, admin, content_type):
    before = stored_clinics(catalogue)
    assert_problem(send(client, '{"knownFor": {"en": "x"}}', admin, content_type), 415, "UNSUPPORTED_MEDIA_TYPE")
    assert stored_clinics(catalogue) == before


def test_an_empty_patch_is_refused(client, admin):
    assert_problem(client.patch(PATCH_URL, json={}, headers=admin), 400, "VALIDATION_FAILED")


def test_unknown_routes_methods_and_query_parameters_are_problems(client):
    assert_problem(client.get("/nowhere"), 404, "NOT_FOUND")
    wrong_method = assert_problem(client.delete("/clinics/oracle-skin-clinic"), 405, "METHOD_NOT_ALLOWED")
    assert wrong_method["detail"] == "DELETE is not allowed here."
    unknown = assert_problem(client.get("/clinics?distrcit=GANGNAM"), 400, "VALIDATION_FAILED")
    assert unknown["errors"] == [{"field": "distrcit", "message": "unknown field"}]
    twice = assert_problem(client.get("/clinics?kind=HOSPITAL&kind=PRIVATE_CLINIC"), 400, "VALIDATION_FAILED")
    assert twice["errors"] == [{"field": "kind", "message": "given more than once"}]


def test_request_ids_are_echoed_or_generated(client):
    assert (
        client.get("/healthz", headers={"X-Request-ID": "agency-42.req-1"}).headers["X-Request-ID"] == "agency-42.req-1"
    )
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id <script>" + "x" * 200}).headers["X-Request-ID"]
    assert generated != "" and " " not in generated and len(generated) == 32


def test_an_unexpected_error_is_masked(catalogue, client, monkeypatch):
    from services.catalogue import domain

    def explode(*_args):
        raise RuntimeError("connection to mongodb://10.0.0.7:27017 failed at /srv/app/domain.py line 3")

    monkeypatch.setattr(domain, "clinic_search", explode)
    answer = client.get("/clinics")
    problem = assert_problem(answer, 500, "INTERNAL_ERROR")
    text = answer.get_data(as_text=True)
    assert "10.0.0.7" not in text and "mongodb://" not in text and "Traceback" not in text and ".py" not in text
    assert problem["detail"] == "An unexpected error occurred."
