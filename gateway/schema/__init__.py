"""The schema, assembled from one package per domain (``catalogue``, ``packages``, ``quotes``,
``bookings``, ``interpreters``, ``registrations``, ``events``, ``accounts``) over the shared ``core``. A domain imports
``core`` and the domains it builds on (catalogue, then packages, quotes, bookings, interpreters),
never one that builds on it."""

from __future__ import annotations

import graphene
from graphql import print_schema

from .accounts.queries import AccountQueries
from .bookings.mutations import BookingMutations, SlotMutations
from .bookings.queries import BookingQueries
from .catalogue.mutations import CatalogueMutations
from .catalogue.queries import CatalogueQueries, ClinicComparisonQueries
from .events.mutations import WebhookMutations
from .events.queries import EventQueries
from .interpreters.mutations import InterpreterMutations
from .interpreters.queries import InterpreterQueries
from .packages.mutations import ExchangeRateMutations, PackageMutations
from .packages.queries import PackageQueries, TreatmentOptionQueries
from .quotes.mutations import QuoteMutations
from .quotes.queries import QuoteQueries
from .registrations.mutations import RegistrationMutations
from .registrations.queries import RegistrationQueries
from .vocabulary import VocabularyQueries


# graphene lists the fields of the last base first.
class Query(
    ClinicComparisonQueries,
    TreatmentOptionQueries,
    CatalogueQueries,
    PackageQueries,
    QuoteQueries,
    BookingQueries,
    InterpreterQueries,
    RegistrationQueries,
    EventQueries,
    AccountQueries,
    VocabularyQueries,
    graphene.ObjectType,
):
    """Read the catalogue, packages, quotes and your bookings."""


class Mutation(
    QuoteMutations,
    BookingMutations,
    ExchangeRateMutations,
    CatalogueMutations,
    SlotMutations,
    PackageMutations,
    WebhookMutations,
    InterpreterMutations,
    RegistrationMutations,
    graphene.ObjectType,
):
    """Quote and book; clinic and platform admins manage listings, slots, interpreters and rates."""


schema = graphene.Schema(query=Query, mutation=Mutation)


def sdl() -> str:
    return print_schema(schema.graphql_schema) + "\n"
