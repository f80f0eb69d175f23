"""The catalogue's documents: scar types, procedures and clinics.

Indexes are declared here and created by ``python -m services.catalogue init``. Every
clinic filter has an index; ``search_terms`` and ``language_keys`` are derived on save
so that name search and language filters are plain indexed equality matches.
"""

from __future__ import annotations

import re
from datetime import UTC

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    FloatField,
    IntField,
    ListField,
    StringField,
)

from services.common.care import AftercareStep, PreparationStep, RecoveryPhase, Sourced
from services.common.clock import utcnow
from services.common.validation import contract_enum
from services.common.wire import localized

ALIAS = "catalogue"
SCAR_TYPES = ("ICE_PICK", "BOXCAR", "ROLLING", "HYPERTROPHIC", "PIH", "PIE")
CLINIC_KINDS = ("HOSPITAL", "PRIVATE_CLINIC")
LANGUAGE_LEVELS = ("booking", "inRoom", "aftercare")
CATEGORIES = ("LASER", "NEEDLING", "INJECTABLE", "SURGICAL", "CHEMICAL", "LIGHT", "REGENERATIVE", "TOPICAL", "ORAL")
SEARCH_PREFIX_MAX = 20
MAX_SEARCH_TERMS = 2000  # index terms of one clinic, whatever its names: a name's words are found within them
INNER_WORD_MAX = 40  # inner substrings are made of a word's first characters only: a name's word is short


_WORD = re.compile(r"\w+", re.UNICODE)


def search_terms(*texts: str) -> list[str]:
    """Every prefix of every word, case-folded. Words in scripts written without spaces
    (Korean, Chinese, Japanese names) also get every inner substring. At most MAX_SEARCH_TERMS of
    them: every word's prefixes first, in the order the texts give them, then the inner substrings."""
    words = [word for text in texts for word in _WORD.findall(text.casefold())]
    terms: set[str] = set()

    def add(word: str, start: int) -> bool:
        for end in range(start + 1, min(len(word), start + SEARCH_PREFIX_MAX) + 1):
            terms.add(word[start:end])
            if len(terms) >= MAX_SEARCH_TERMS:
                return False
        return True

    if all(add(word, 0) for word in words):
        for word in words:
            if not word.isascii() and not all(add(word, start) for start in range(1, min(len(word), INNER_WORD_MAX))):
                break
    return sorted(terms)


def query_terms(text: str) -> list[str]:
    return [word[:SEARCH_PREFIX_MAX] for word in _WORD.findall(text.casefold())]


class ScarType(Document):
    meta = {
        "db_alias": ALIAS,
        "collection": "scar_types",
        "auto_create_index": False,
        "indexes": [{"fields": ["code"], "unique": True}, "order"],
    }
    code = StringField(required=True, choices=SCAR_TYPES)
    family = StringField(required=True, choices=("ATROPHIC", "RAISED", "PIGMENT"))
    order = IntField(required=True)
    name = localized(required=True)
    description = localized(required=True)


class Range(EmbeddedDocument):
    min = IntField(required=True, min_value=0)
    max = IntField(required=True, min_value=0)


class Caution(Sourced):
    code = StringField(required=True, choices=contract_enum("common/defs", "caution"))
    text = localized(required=True)
    applies_when = DictField(required=True)


class Procedure(Document):
    meta = {
        "db_alias": ALIAS,
        "collection": "procedures",
        "auto_create_index": False,
        "indexes": [{"fields": ["code"], "unique": True}, "indications", "category"],
    }
    code = StringField(required=True, regex=r"^[A-Z][A-Z0-9_]{1,39}$")
    name = localized(required=True)
    category = StringField(required=True, choices=CATEGORIES)
    summary = localized(required=True)
    indications = ListField(StringField(choices=SCAR_TYPES))
    typical_sessions = EmbeddedDocumentField(Range)
    session_interval_days = EmbeddedDocumentField(Range)
    downtime_days = EmbeddedDocumentField(Range)
    preparation = EmbeddedDocumentListField(PreparationStep)
    recovery = EmbeddedDocumentListField(RecoveryPhase)
    risks_mild = ListField(localized())
    risks_rare = ListField(localized())
    cautions = EmbeddedDocumentListField(Caution)
    aftercare = EmbeddedDocumentListField(AftercareStep)
    for_active_acne = BooleanField(default=False)
    facts = ListField(DictField())  # {fact, source, quote, note}: where each fact comes from
    active_acne_key = StringField()  # for active acne first: its treatments, then the rest, by code
    combined_with = ListField(StringField())
    source = StringField(required=True, choices=("seed", "sample"))
    sample_fields = ListField(StringField())

    def clean(self):
        self.active_acne_key = f"{0 if self.for_active_acne else 1}:{self.code}"


class Address(EmbeddedDocument):
    street = localized()
    city = StringField(required=True)
    postal_code = StringField()


class Location(EmbeddedDocument):
    lat = FloatField(required=True, min_value=-90, max_value=90)
    lng = FloatField(required=True, min_value=-180, max_value=180)


class OfferedProcedure(EmbeddedDocument):
    code = StringField(required=True)
    devices = ListField(StringField(max_length=80))


class Languages(EmbeddedDocument):
    booking = ListField(StringField(regex=r"^[a-z]{2}$"))
    in_room = ListField(StringField(regex=r"^[a-z]{2}$"))
    aftercare = ListField(StringField(regex=r"^[a-z]{2}$"))


class Accreditation(EmbeddedDocument):
    issuer = StringField(required=True)
    name = StringField(required=True)
    registry_number = StringField(required=True)
    expires_on = StringField(required=True, regex=r"^\d{4}-\d{2}-\d{2}$")  # ISO date compares as text


class Doctor(EmbeddedDocument):
    name = localized(required=True)
    title = localized()
    board_certified_dermatologist = BooleanField()
    specialties = ListField(StringField())


class Contact(EmbeddedDocument):
    phone = StringField()
    email = StringField()
    website = StringField()


class Clinic(Document):
    meta = {
        "db_alias": ALIAS,
        "collection": "clinics",
        "auto_create_index": False,
        "indexes": [
            {"fields": ["slug"], "unique": True},
            {"fields": ["kind", "name_key"], "name": "kind"},
            {"fields": ["district", "name_key"], "name": "district"},
            {"fields": ["procedures.code"], "name": "procedure"},
            {"fields": ["language_keys"], "name": "language"},
            {"fields": ["international_services"], "name": "service"},
            {"fields": ["accreditations.expires_on"], "name": "accreditation"},
            {"fields": ["search_terms"], "name": "search"},
            {"fields": ["name_key"], "name": "by_name"},
            {"fields": ["district_key"], "name": "by_district"},
            {"fields": ["updated_key"], "name": "by_updated"},
        ],
    }
    slug = StringField(required=True, regex=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)
    kind = StringField(required=True, choices=CLINIC_KINDS)
    name = localized(required=True)
    description = localized()
    district = StringField(required=True)
    address = EmbeddedDocumentField(Address)
    location = EmbeddedDocumentField(Location)
    procedures = EmbeddedDocumentListField(OfferedProcedure)
    languages = EmbeddedDocumentField(Languages, default=Languages)
    international_services = ListField(StringField())
    accreditations = EmbeddedDocumentListField(Accreditation)
    doctors = EmbeddedDocumentListField(Doctor)
    contact = EmbeddedDocumentField(Contact)
    known_for = localized()
    source = StringField(required=True, choices=("seed", "listing", "synthetic"), default="listing")
    sample_fields = ListField(StringField())
    facts = ListField(DictField())  # {fact, source, quote, note}: where each fact comes from
    version = IntField(required=True, default=1, min_value=1)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # Derived on save; never written by callers. Each *_key is unique (it ends with the slug),
    # so a page cursor is one range condition on one indexed field.
    name_key = StringField()
    district_key = StringField()
    updated_key = StringField()
    search_terms = ListField(StringField())
    language_keys = ListField(StringField())

    def clean(self):
        sort_name = (self.name.get("en") or "").casefold()
        self.name_key = f"{sort_name}\x00{self.slug}"
        self.district_key = f"{self.district}\x00{sort_name}\x00{self.slug}"
        self.updated_key = f"{self.updated_at.astimezone(UTC).isoformat()}\x00{self.slug}"
        self.search_terms = search_terms(self.slug.replace("-", " "), *self.name.values())
        keys = []
        for level, field in (("booking", "booking"), ("inRoom", "in_room"), ("aftercare", "aftercare")):
            for code in getattr(self.languages, field) or []:
                keys += [f"{level}:{code}", f"any:{code}"]
        self.language_keys = sorted(set(keys))
