"""A webhook URL's host name has a deadline to resolve, at creation as before every delivery.

The test waits for real time to pass, so it stays out of the suite at the edges of the day
(libfaketime distorts timed waits; docs/testing.md).
"""

from __future__ import annotations

import socket
import threading


def create(client, headers, url):
    return client.post("/webhooks", json={"url": url, "events": ["booking.confirmed"]}, headers=headers)


def test_a_resolver_that_never_answers_fails_creation_with_a_clear_error(client, bearer, monkeypatch):
    """The name's resolver never answers: the request is refused once resolving has had its time."""
    real, answer = socket.getaddrinfo, threading.Event()

    def never(host, *args, **kwargs):
        if host == "silent.test":
            answer.wait()  # until the test ends
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", never)
    agency = bearer("AGENCY", agency="seoul-trips")
    answers: list = []
    request = threading.Thread(target=lambda: answers.append(create(client, agency, url="https://silent.test/hooks")))
    request.start()
    try:
        request.join(20)  # a bound on liveness: without a deadline the request never finishes
        assert answers, "creating the endpoint waited for the resolver for ever"
    finally:
        answer.set()
        request.join()
    refused = answers[0]
    assert refused.status_code == 422 and refused.json["code"] == "URL_NOT_ALLOWED"
    assert refused.json["errors"] == [{"field": "url", "message": "The host silent.test did not resolve in time."}]
    assert client.get("/webhooks", headers=agency).json["items"] == []
