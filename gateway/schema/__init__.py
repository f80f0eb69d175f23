"""The schema, assembled from one module per domain."""
from __future__ import annotations

import graphene
from graphql import print_schema

from .admin import AdminMutations, ViewerQueries
from .bookings import BookingMutations, BookingQueries
from .clinics import ClinicQueries
from .packages import PackageQueries
from .quotes import QuoteMutations, QuoteQueries


class Query(ClinicQueries, PackageQueries, QuoteQueries, BookingQueries, ViewerQueries, graphene.ObjectType):
    """Read the catalogue, packages, quotes and your bookings."""


class Mutation(QuoteMutations, BookingMutations, AdminMutations, graphene.ObjectType):
    """Quote and book; clinic and platform admins manage listings, slots and rates."""


schema = graphene.Schema(query=Query, mutation=Mutation)


def sdl() -> str:
    return print_schema(schema.graphql_schema) + "\n"
