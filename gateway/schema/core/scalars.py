"""Scalars and the enums every domain uses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import graphene
from graphql import Undefined
from graphql.language import StringValueNode

from services.common import money
from services.common.validation import contract_enum


class IsoScalar(graphene.Scalar):
    """ISO 8601 text in and out; ``kind`` is the Python type it stands for."""

    class Meta:
        abstract = True

    kind: type[date] = date

    @staticmethod
    def serialize(value: Any) -> str:
        return value if isinstance(value, str) else value.isoformat()

    @classmethod
    def parse_value(cls, value: str) -> Any:
        return cls.kind.fromisoformat(value)

    @classmethod
    def parse_literal(cls, node: Any, _variables: Any = None) -> Any:
        if isinstance(node, StringValueNode):
            return cls.kind.fromisoformat(node.value)
        return Undefined


class Date(IsoScalar):
    """A calendar date, ISO 8601 (YYYY-MM-DD); Seoul dates unless said otherwise."""

    kind = date


class DateTime(IsoScalar):
    """A moment, ISO 8601 with its offset."""

    kind = datetime


Currency = graphene.Enum("Currency", [(code, code) for code in money.CURRENCIES], description="ISO 4217 currency code.")
ScarTypeCode = graphene.Enum(
    "ScarTypeCode",
    [(c, c) for c in contract_enum("common/defs", "scarTypeCode")],
    description="Acne-scar types: atrophic ICE_PICK, BOXCAR, ROLLING; raised HYPERTROPHIC; pigment PIH, PIE.",
)
ClinicKind = graphene.Enum(
    "ClinicKind",
    [("HOSPITAL", "HOSPITAL"), ("PRIVATE_CLINIC", "PRIVATE_CLINIC")],
    description="A university or general hospital, or a private dermatology clinic.",
)
LanguageLevel = graphene.Enum(
    "LanguageLevel",
    [("BOOKING", "booking"), ("IN_ROOM", "inRoom"), ("AFTERCARE", "aftercare")],
    description="Where a language is spoken: booking, in the treatment room (interpreter), written aftercare.",
)
FollowUpKind = graphene.Enum(
    "FollowUpKind",
    [(c, c) for c in contract_enum("packages/package-fields", "followUpKind")],
    description="How follow-ups happen.",
)


class SortDirection(graphene.Enum):
    """Ascending or descending."""

    ASC = "ASC"
    DESC = "DESC"


SourceKind = graphene.Enum(
    "SourceKind",
    [("SEED", "seed"), ("SAMPLE", "sample")],
    description="SEED: the seed document says it (its sentence is quoted); SAMPLE: sample data of ours.",
)
CAUTION_CODES = ", ".join(contract_enum("common/defs", "caution"))


class Source(graphene.ObjectType):
    """Where a fact or rule comes from."""

    kind = graphene.Field(SourceKind, required=True, description="The seed document, or sample data of ours.")
    quote = graphene.String(description="The seed's sentence it comes from.")
    note = graphene.String(description="How it follows from the quote, or why it is sample data.")


class Fact(graphene.ObjectType):
    """One fact of a record (e.g. indications.ICE_PICK, sessionIntervalDays) and where it comes from."""

    fact = graphene.String(required=True, description="The fact, as a path in the record.")
    source = graphene.Field(Source, required=True, description="Where it comes from.")
