"""What one plan or booking reads, each thing once: the interpreter calendars of the clinics and
languages asked about, the bookable slots by key, the clinics' consultation hours and units by id.

A booking works out its plan, then chooses each visit's interpreter and its follow-ups' times from the
same reads (``booking``, ``followups.Chooser``); only what the ledger's guarded updates then refuse is
read again, afresh. These are reads of a moment: the ledger decides.

While ``speculating``, every interpreter's half hours and every call are taken to be free and the ids
asked about are kept (``asked_units``), to be read at once afterwards (``plans.work_out``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from . import interpreters, store


class Reads:
    """The reads of one plan or booking. ``buffer_minutes``: the interpreters' time after each visit;
    ``now``: the moment their providers' notice counts from."""

    def __init__(self, buffer_minutes: int, now: datetime):
        self.buffer_minutes, self.now = buffer_minutes, now
        self.calendars_read: dict[tuple[str, str], interpreters.Calendar] = {}
        self.slots_by_key: dict[str, list[dict]] = {}
        self.units: dict[str, dict | None] = {}
        self.hours: dict[str, dict | None] = {}
        self.speculating = False
        self.asked_units: set[str] = set()

    def calendars(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], interpreters.Calendar]:
        """The calendars of these (clinic, language) pairs: two queries for those not read yet."""
        unread = sorted({key for key in keys if key not in self.calendars_read})
        if unread:
            self.calendars_read.update(interpreters.calendars(unread, self.buffer_minutes, self.now))
        return {key: self.calendars_read[key] for key in keys}

    def calendar(self, clinic: str, language: str) -> interpreters.Calendar:
        """Who could interpret in ``language`` at ``clinic`` (``calendars``)."""
        return self.calendars([(clinic, language)])[(clinic, language)]

    def bookable(self, keys: list[str]) -> list[dict]:
        """The open slots with a free seat under these keys (offer and week): one query for those not read yet."""
        unread = [key for key in keys if key not in self.slots_by_key]
        if unread:
            self.slots_by_key.update((key, []) for key in unread)
            for slot in store.bookable_slots(unread):
                self.slots_by_key[slot["bookable"]].append(slot)
        return [slot for key in keys for slot in self.slots_by_key[key]]

    def units_by_id(self, ids: list[str]) -> dict[str, dict]:
        """The units that exist of these: one query for those not read yet."""
        return _read_through(self.units, ids, store.units_by_id)

    def guessed(self, ids: list[str]) -> dict[str, dict]:
        """Units (interpreters' half hours, calls): none taken while speculating (the ids asked about are
        kept), else as read."""
        if self.speculating:
            self.asked_units.update(ids)
            return {}
        return self.units_by_id(ids)

    def consultation_hours(self, clinics: list[str]) -> dict[str, dict]:
        """The consultation hours these clinics keep, by clinic: one query for those not read yet."""
        return _read_through(self.hours, clinics, store.consultation_hours_of_clinics)


def _read_through(kept: dict[str, dict | None], keys: list[str], read: Callable[[list[str]], dict]) -> dict:
    """The documents of these keys that exist, by key: ``read`` (one query) for the keys ``kept`` does not
    have yet, remembering those that do not exist as None."""
    unread = [key for key in keys if key not in kept]
    if unread:
        found = read(unread)
        kept.update((key, found.get(key)) for key in unread)
    return {key: doc for key in keys if (doc := kept[key]) is not None}
