"""Packages, their versions, exchange-rate tables and quotes.

Money is whole won (``IntField``) in the database and decimal text on the wire; a float
never holds money. Every package filter and sort has an index; the ``*_key`` fields are
unique sort keys (value, zero-padded, then the id) so a page cursor is one range condition.
"""

from __future__ import annotations

from datetime import UTC

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    IntField,
    ListField,
    StringField,
)

from services.common.care import AftercareStep, PreparationStep, RecoveryPhase, Sourced
from services.common.clock import utcnow
from services.common.validation import contract_enum
from services.common.wire import localized

from .prices import per_visit, visits_of

ALIAS = "packages"
STATUSES = ("DRAFT", "PUBLISHED", "ARCHIVED")
INCLUDES = contract_enum("packages/package-fields", "include")
FOLLOW_UP_KINDS = contract_enum("packages/package-fields", "followUpKind")
CAUTIONS = contract_enum("common/defs", "caution")


def listing_key(clinic: str, status: str) -> str:
    return f"{clinic}:{status}"


class Item(EmbeddedDocument):
    procedure = StringField(required=True)
    sessions = IntField(required=True, min_value=1, max_value=20)


class InterpreterOption(EmbeddedDocument):
    language = StringField(required=True, regex=r"^[a-z]{2}$")
    included = BooleanField(required=True)
    price_per_session_krw = IntField(min_value=0, default=0)


class FollowUpPlan(EmbeddedDocument):
    code = StringField(required=True)
    kind = StringField(required=True, choices=FOLLOW_UP_KINDS)
    count = IntField(required=True, min_value=1)
    price_krw = IntField(required=True, min_value=0)


class RefundTier(EmbeddedDocument):
    days_before = IntField(required=True, min_value=0)
    refund_percent = IntField(required=True, min_value=0, max_value=100)


class CancellationPolicy(EmbeddedDocument):
    tiers = EmbeddedDocumentListField(RefundTier, required=True)


class Screening(EmbeddedDocument):
    blocking = ListField(StringField(choices=CAUTIONS))


class ScreeningRule(Sourced):
    code = StringField(required=True, choices=CAUTIONS)
    text = localized(required=True)
    applies_when = DictField(required=True)
    blocking = BooleanField(required=True)


class Package(Document):
    meta = {
        "db_alias": ALIAS,
        "collection": "packages",
        "auto_create_index": False,
        "indexes": [
            # Every filter is indexed together with the status it always comes with, then the
            # default sort key, so MongoDB reads a page in order and stops (equality, sort, range).
            {"fields": ["listing", "price_key"], "name": "clinic"},
            {"fields": ["scar_types", "status", "price_key"], "name": "scar_type"},
            {"fields": ["procedure_codes", "status", "price_key"], "name": "procedure"},
            {"fields": ["interpreter_languages", "status", "price_key"], "name": "interpreter"},
            {"fields": ["follow_up_kinds", "status", "price_key"], "name": "follow_up"},
            {"fields": ["status", "price_krw"], "name": "price"},
            {"fields": ["status", "visits"], "name": "sessions"},
            {"fields": ["status", "downtime_days"], "name": "downtime"},
            {"fields": ["status"], "name": "status"},
            {"fields": ["price_key"], "name": "by_price"},
            {"fields": ["price_per_session_key"], "name": "by_price_per_session"},
            {"fields": ["downtime_key"], "name": "by_downtime"},
            {"fields": ["sessions_key"], "name": "by_sessions"},
            {"fields": ["updated_key"], "name": "by_updated"},
        ],
    }
    clinic = StringField(required=True, regex=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    title = localized(required=True)
    description = localized()
    scar_types = ListField(StringField(), required=True)
    items = EmbeddedDocumentListField(Item, required=True)
    session_interval_days = IntField(required=True, min_value=1)
    visit_window = DictField()  # {min_days, max_days}: when the next visit may be, from the procedures
    includes = ListField(StringField(choices=INCLUDES))
    price_krw = IntField(required=True, min_value=0)
    interpreter_options = EmbeddedDocumentListField(InterpreterOption)
    follow_up_plans = EmbeddedDocumentListField(FollowUpPlan)
    cancellation_policy = EmbeddedDocumentField(CancellationPolicy, required=True)
    minimum_stay_days = IntField(required=True, min_value=1)
    screening = EmbeddedDocumentField(Screening, default=Screening)
    status = StringField(required=True, choices=STATUSES, default="DRAFT")
    version = IntField(required=True, default=1, min_value=1)
    source = StringField(required=True, choices=("seed", "listing", "synthetic"), default="listing")
    sample_fields = ListField(StringField())
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    # From the catalogue when written: the longest downtime, cautions, preparation and recovery
    # of the procedures, so every version is a whole snapshot a care plan can be dated from.
    procedure_names = DictField()  # code -> {lang: name}, from the catalogue
    downtime_days = IntField(required=True, default=0, min_value=0)
    screening_rules = EmbeddedDocumentListField(ScreeningRule)
    preparation = EmbeddedDocumentListField(PreparationStep)
    aftercare = EmbeddedDocumentListField(AftercareStep)
    facts = ListField(DictField())  # {fact, source, quote, note}: where each fact comes from
    recovery = EmbeddedDocumentListField(RecoveryPhase)
    # Derived on save, for filters and sorts.
    listing = StringField()  # "<clinic>:<status>": one key for the gateway's list-of-clinics filter
    visits = IntField()
    price_per_session_krw = IntField()
    procedure_codes = ListField(StringField())
    interpreter_languages = ListField(StringField())
    follow_up_kinds = ListField(StringField())
    price_key = StringField()
    price_per_session_key = StringField()
    downtime_key = StringField()
    sessions_key = StringField()
    updated_key = StringField()

    def clean(self):
        ident = str(self.pk) if self.pk else ""
        self.listing = listing_key(self.clinic, self.status)
        self.visits = visits_of([{"sessions": item.sessions} for item in self.items])
        self.price_per_session_krw = per_visit(self.price_krw, self.visits)
        self.procedure_codes = sorted({item.procedure for item in self.items})
        self.interpreter_languages = sorted({option.language for option in self.interpreter_options})
        self.follow_up_kinds = sorted({plan.kind for plan in self.follow_up_plans})
        self.price_key = f"{self.price_krw:015d}:{ident}"
        self.price_per_session_key = f"{self.price_per_session_krw:015d}:{ident}"
        self.downtime_key = f"{self.downtime_days:05d}:{ident}"
        self.sessions_key = f"{self.visits:05d}:{ident}"
        self.updated_key = f"{self.updated_at.astimezone(UTC).isoformat()}:{ident}"


class PackageVersion(Document):
    """Every version of every package, as it was: bookings point at the version the patient saw."""

    meta = {
        "db_alias": ALIAS,
        "collection": "package_versions",
        "auto_create_index": False,
        "indexes": [{"fields": ["package_id", "version"], "unique": True, "name": "package_version"}],
    }
    package_id = StringField(required=True)
    version = IntField(required=True)
    document = DictField(required=True)
    published = BooleanField(required=True, default=False)  # published once: readable by anyone from then on
    created_at = DateTimeField(default=utcnow)


class ExchangeRateTable(Document):
    """Won per one unit of each currency, as decimal text, with the date it holds for."""

    meta = {
        "db_alias": ALIAS,
        "collection": "exchange_rates",
        "auto_create_index": False,
        "indexes": [{"fields": ["-created_at"], "name": "newest"}],
    }
    as_of = StringField(required=True, regex=r"^\d{4}-\d{2}-\d{2}$")
    rates = DictField(field=StringField(regex=r"^[0-9]+(\.[0-9]+)?$"), required=True)
    source = StringField(required=True, choices=("sample", "admin"))
    created_at = DateTimeField(default=utcnow)


class CurrentExchangeRates(Document):
    """The table new quotes use: one document, ``_id`` "current", so reading it is one point lookup."""

    meta = {"db_alias": ALIAS, "collection": "exchange_rates_current", "auto_create_index": False}
    id = StringField(primary_key=True)
    as_of = StringField(required=True, regex=r"^\d{4}-\d{2}-\d{2}$")
    rates = DictField(field=StringField(regex=r"^[0-9]+(\.[0-9]+)?$"), required=True)
    source = StringField(required=True, choices=("sample", "admin"))
    created_at = DateTimeField(default=utcnow)


class Quote(Document):
    meta = {
        "db_alias": ALIAS,
        "collection": "quotes",
        "auto_create_index": False,
        "indexes": [
            {"fields": ["package_id"], "name": "package"},
            # An unlocked quote is purged a week after it expires; a locked one a month after.
            {"fields": ["purge_at"], "expireAfterSeconds": 0, "name": "purge"},
            {"fields": ["locked_by"], "name": "locked_by", "sparse": True},
        ],
    }
    id = StringField(primary_key=True, regex=r"^[0-9a-f]{32}$")  # 128 random bits: a quote id cannot be guessed
    owner = (
        StringField()
    )  # who may read and book it: "agency:<slug>", "clinic:<slug>", "platform"; None: whoever holds the id
    package_id = StringField(required=True)
    package_version = IntField(required=True)
    clinic = StringField(required=True)
    interpreter_language = StringField()
    follow_up_plan = StringField()
    currency = StringField(required=True)
    krw_per_unit = StringField(required=True)
    rate_as_of = StringField(required=True)
    base_krw = IntField(required=True)
    interpreter_krw = IntField(required=True)
    follow_up_krw = IntField(required=True)
    created_at = DateTimeField(required=True)
    expires_at = DateTimeField(required=True)
    purge_at = DateTimeField()
    locked_by = StringField()
    locked_at = DateTimeField()
