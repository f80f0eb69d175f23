"""What every domain module of the schema shares: wire objects, money, connections, errors."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import graphene
from graphene.types.resolver import set_default_resolver
from graphql import GraphQLError, Undefined
from graphql.language import StringValueNode

from services.common import money
from services.common.localization import Wording

from ..context import RequestContext
from ..upstream import ServiceFailure

MAX_FIRST = 100
CURRENCIES = money.CURRENCIES


def ctx(info) -> RequestContext:
    return info.context


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def wire_resolver(attname: str, default_value: Any, root: Any, info, **args) -> Any:
    """Service answers are camelCase JSON and fields are declared in snake_case Python: a dict
    root is read by the camelCase key, then by the Python name (for dicts the gateway builds)."""
    if isinstance(root, dict):
        key = camel(attname)
        return root[key] if key in root else root.get(attname, default_value)
    return getattr(root, attname, default_value)


# Every object type of the gateway resolves its fields this way.
set_default_resolver(wire_resolver)
WireObject = graphene.ObjectType


def require_first(first: int) -> int:
    if first < 1 or first > MAX_FIRST:
        raise GraphQLError(f"first must be between 1 and {MAX_FIRST}.", extensions={"code": "BAD_USER_INPUT"})
    return first


def lang_arg() -> graphene.String:
    return graphene.String(description="Language of localized fields (ISO 639-1); default: Accept-Language, then English.")


def use_lang(info, lang: str | None) -> None:
    if lang:
        ctx(info).lang = lang


class IsoScalar(graphene.Scalar):
    """ISO 8601 text in and out; ``kind`` is the Python type it stands for."""

    class Meta:
        abstract = True

    kind = date

    @staticmethod
    def serialize(value):
        return value if isinstance(value, str) else value.isoformat()

    @classmethod
    def parse_value(cls, value):
        return cls.kind.fromisoformat(value)

    @classmethod
    def parse_literal(cls, node, _variables=None):
        if isinstance(node, StringValueNode):
            return cls.kind.fromisoformat(node.value)
        return Undefined


class Date(IsoScalar):
    """A calendar date, ISO 8601 (YYYY-MM-DD); Seoul dates unless said otherwise."""

    kind = date


class DateTime(IsoScalar):
    """A moment, ISO 8601 with its offset."""

    kind = datetime


Currency = graphene.Enum("Currency", [(code, code) for code in CURRENCIES], description="ISO 4217 currency code.")
ScarTypeCode = graphene.Enum("ScarTypeCode", [(c, c) for c in ("ICE_PICK", "BOXCAR", "ROLLING", "HYPERTROPHIC", "PIH", "PIE")],
                             description="Acne-scar types: atrophic ICE_PICK, BOXCAR, ROLLING; raised HYPERTROPHIC; pigment PIH, PIE.")
ClinicKind = graphene.Enum("ClinicKind", [("HOSPITAL", "HOSPITAL"), ("PRIVATE_CLINIC", "PRIVATE_CLINIC")],
                           description="A university or general hospital, or a private dermatology clinic.")
LanguageLevel = graphene.Enum("LanguageLevel", [("BOOKING", "booking"), ("IN_ROOM", "inRoom"), ("AFTERCARE", "aftercare")],
                              description="Where a language is spoken: booking, in the treatment room (interpreter), written aftercare.")
FollowUpKind = graphene.Enum("FollowUpKind", [(c, c) for c in ("REMOTE_VIDEO", "IN_PERSON", "MESSAGING")],
                             description="How follow-ups happen.")


class Money(graphene.ObjectType):
    """An amount in a currency, converted from won at a dated rate."""

    amount = graphene.String(required=True, description="Decimal text rounded to the currency's minor unit; never a float.")
    currency = graphene.Field(Currency, required=True, description="The currency of amount.")
    krw = graphene.Int(required=True, description="The same amount in Korean won, as charged.")
    rate = graphene.String(required=True, description="Won per one unit of the currency.")
    as_of = graphene.Field(Date, description="The date the rate holds for.")


async def convert(info, krw: int, currency: str) -> dict:
    rates = await ctx(info).loader("rates").load("current")
    rate = rates["rates"][currency]
    return {"amount": money.as_text(money.from_krw(krw, rate, currency)), "currency": currency, "krw": krw, "rate": rate,
            "as_of": rates["asOf"]}


def money_from_lines(line: dict, currency: str, rate: str, as_of: str) -> dict:
    return {"amount": line["amount"], "currency": currency, "krw": line["krw"], "rate": rate, "as_of": as_of}


class MutationError(graphene.ObjectType):
    """A business error of a mutation: what was refused and why."""

    field = graphene.String(description="The input field at fault, as its path within the mutation's input "
                                        "(patient.homeTimeZone, times[1]), when one is; else null.")
    message = graphene.String(required=True, description="What went wrong, for people.")
    code = graphene.String(required=True, description="Stable machine-readable code, e.g. SLOT_FULL, QUOTE_EXPIRED.")


TOP_LEVEL = {401, 403, 503}


def business_errors(failure: ServiceFailure) -> list[dict]:
    """A service's refusal as payload errors; authorization and availability stay top-level errors."""
    if failure.status in TOP_LEVEL:
        raise failure
    if failure.field_errors:
        return [{"field": e["field"], "message": e["message"], "code": failure.code} for e in failure.field_errors]
    return [{"field": None, "message": failure.message, "code": failure.code}]


async def outcome(field: str, call, shape=None) -> dict:
    """A mutation payload: the awaited service answer under ``field`` (through ``shape`` when
    given), or null and the service's refusal as business errors."""
    try:
        answer = await call
    except ServiceFailure as failure:
        return {field: None, "errors": business_errors(failure)}
    return {field: shape(answer) if shape else answer, "errors": []}


def payload_type(name: str, field: str, of_type, noun: str, doc: str, errors: str = "Business errors.") -> type:
    """A mutation's payload: the changed object, or why it was refused."""
    return type(name, (graphene.ObjectType,), {
        "__doc__": doc,
        field: graphene.Field(of_type, description=f"The {noun} as it is now."),
        "errors": graphene.List(graphene.NonNull(MutationError), required=True, description=errors)})


class PageInfo(graphene.ObjectType):
    """Where a list continues."""

    has_next_page = graphene.Boolean(required=True, description="More items follow.")
    end_cursor = graphene.String(description="Pass as after for the next page.")


def connection_type(node, noun: str, plural: str) -> type:
    """A Relay connection of ``node`` (with its edge type): a page, where it continues, how many in all."""
    name = node._meta.name
    edge = type(f"{name}Edge", (graphene.ObjectType,), {
        "__doc__": f"A {noun} in a list, with where the list continues after it.",
        "cursor": graphene.String(required=True, description=f"Pass as after to continue after this {noun}."),
        "node": graphene.Field(node, required=True, description=f"The {noun}.")})
    return type(f"{name}Connection", (graphene.ObjectType,), {
        "__doc__": f"A page of {plural}.",
        "edges": graphene.List(graphene.NonNull(edge), required=True, description=f"The {plural} of this page."),
        "page_info": graphene.Field(PageInfo, required=True, description="Where the list continues."),
        "total_count": graphene.Int(required=True, description=f"How many {plural} match in all.")})


def connection(page: dict) -> dict:
    """A service page ({items, cursors, nextCursor, totalCount}) as a Relay connection."""
    return {"edges": [{"cursor": c, "node": i} for i, c in zip(page["items"], page["cursors"], strict=True)],
            "page_info": {"has_next_page": page["nextCursor"] is not None, "end_cursor": page["nextCursor"]},
            "total_count": page.get("totalCount", 0)}


class ComparisonValue(graphene.ObjectType):
    """One cell of a comparison: the fact for one column."""

    text = graphene.String(description="The fact as text (null when unknown or not offered).")
    best = graphene.Boolean(required=True, description="True where this column has the best value of the row.")


class ComparisonRow(graphene.ObjectType):
    """One fact compared across the columns, the best value marked."""

    fact = graphene.String(required=True, description="Stable code of the fact, e.g. PRICE_PER_SESSION.")
    label = graphene.String(required=True, description="The fact's name, for people.")
    values = graphene.List(graphene.NonNull(ComparisonValue), required=True, description="One value per column, in column order.")


class Labels:
    """The row labels of one comparison in one language, from ``seed/texts/comparison.json``;
    ``values`` fill a label's blanks (``{currency}``)."""

    WORDING = Wording("comparison")

    def __init__(self, comparison: str, lang: str, **values):
        self.comparison, self.lang, self.values = comparison, lang, values

    def __call__(self, fact: str) -> str:
        return self.WORDING(f"{self.comparison}.{fact}", self.lang, **self.values)

    def join(self, items) -> str:
        return self.WORDING.join(items, self.lang)


def row(labels: Labels, fact: str, values: list, *, best: str | None = None, show=str) -> dict:
    """A comparison row; ``best`` is "min" or "max" over the values that are known."""
    known = [v for v in values if v is not None]
    target = (min(known) if best == "min" else max(known)) if best and known else None
    return {"fact": fact, "label": labels(fact),
            "values": [{"text": None if v is None else show(v), "best": target is not None and v == target and len(known) > 1}
                       for v in values]}


def decimal(text: str) -> Decimal:
    return Decimal(text)


def plain(value):
    """An input enum member as its value; anything else as it is."""
    return getattr(value, "value", value)


def sort_param(sort: dict) -> str:
    """A {field, direction} sort input as the services' sort parameter (``-field`` for descending)."""
    return ("-" if plain(sort.get("direction")) == "DESC" else "") + plain(sort["field"])
