"""Agreements, statements and annual reports as the bookings service answers them."""

from __future__ import annotations

import graphene

from ..core.scalars import Date
from ..core.wire import WireObject


class CommissionCap(WireObject):
    """The most an institution of a category may pay a facilitator, as a share of the medical fee, and the law."""

    category = graphene.String(required=True, description="The institution's category.")
    percent = graphene.String(required=True, description="The cap, a decimal percent of the medical fee.")
    since = Date(required=True, description="Since when it holds.")
    source = graphene.String(required=True, description="The law it comes from, quoted.")


class CommissionAgreement(WireObject):
    """An agency's fee agreement with a clinic: the share of the medical fee the clinic pays it."""

    agency = graphene.String(required=True, description="The agency.")
    clinic = graphene.String(required=True, description="The clinic's slug.")
    rate_percent = graphene.String(required=True, description="The rate, a decimal percent of the medical fee.")
    cap = graphene.Field(CommissionCap, required=True, description="The cap for the clinic's category.")
    updated_at = graphene.String(required=True, description="When it was last set (UTC, ISO 8601).")


class StatementLine(WireObject):
    """One booking of a statement, with its commission."""

    reference = graphene.String(required=True, description="The booking's reference.")
    agency = graphene.String(required=True, description="The agency that booked.")
    clinic = graphene.String(required=True, description="The clinic that treats.")
    status = graphene.String(required=True, description="The booking's status now.")
    first_visit = graphene.String(required=True, description="Its first visit, Seoul time.")
    first_visit_date = Date(required=True, description="Its first visit's Seoul date.")
    rate_percent = graphene.String(required=True, description="The commission's rate (0 without an agreement).")
    medical_fee_krw = graphene.Int(required=True, description="The medical fee (the base price), in won.")
    refunded_medical_krw = graphene.Int(required=True, description="The medical fee's share of a refund, in won.")
    kept_medical_krw = graphene.Int(required=True, description="The medical fee kept, in won.")
    commission_krw = graphene.Int(required=True, description="The commission, in won.")


class StatementTotals(WireObject):
    """A statement's totals: the sums of its lines, to the won."""

    bookings = graphene.Int(required=True, description="Its lines.")
    medical_fee_krw = graphene.Int(required=True, description="The medical fees, in won.")
    refunded_medical_krw = graphene.Int(required=True, description="The medical fees refunded, in won.")
    kept_medical_krw = graphene.Int(required=True, description="The medical fees kept, in won.")
    commission_krw = graphene.Int(required=True, description="The commissions, in won.")


class CommissionStatement(WireObject):
    """A month's commissions of an agency or a clinic: each booking whose first visit falls in the Seoul month."""

    agency = graphene.String(description="The agency, for an agency's statement.")
    clinic = graphene.String(description="The clinic, for a clinic's statement.")
    month = graphene.String(required=True, description="The Seoul month, YYYY-MM.")
    lines = graphene.List(graphene.NonNull(StatementLine), required=True, description="One per booking.")
    totals = graphene.Field(StatementTotals, required=True, description="The sums of the lines.")
    csv = graphene.String(required=True, description="The same statement as CSV, with a TOTAL row.")


class PatientCount(WireObject):
    """Patients under one key of a breakdown."""

    key = graphene.String(required=True, description="The nationality (ISO 3166-1), the month or the procedure.")
    patients = graphene.Int(required=True, description="Patients (bookings not cancelled).")


class AnnualReport(WireObject):
    """An institution's or a facilitator's foreign patients in a Seoul year (a booking whose first visit is in the
    year, not cancelled), and the year's medical fees kept and commissions."""

    agency = graphene.String(description="The facilitator, for a facilitator's report.")
    clinic = graphene.String(description="The institution, for an institution's report.")
    year = graphene.Int(required=True, description="The Seoul year.")
    patients = graphene.Int(required=True, description="Patients in the year.")
    by_nationality = graphene.List(graphene.NonNull(PatientCount), required=True, description="By nationality.")
    by_month = graphene.List(graphene.NonNull(PatientCount), required=True, description="By month, all twelve.")
    by_treatment = graphene.List(
        graphene.NonNull(PatientCount), required=True, description="By procedure (a patient under each of theirs)."
    )
    medical_fees_krw = graphene.Int(required=True, description="Medical fees kept, in won (refunds taken off).")
    commissions_krw = graphene.Int(required=True, description="Commissions, in won.")
    csv = graphene.String(required=True, description="The same report as CSV.")

    def resolve_by_nationality(root, info):
        return [{"key": item["nationality"], "patients": item["patients"]} for item in root["byNationality"]]

    def resolve_by_month(root, info):
        return [{"key": item["month"], "patients": item["patients"]} for item in root["byMonth"]]

    def resolve_by_treatment(root, info):
        return [{"key": item["procedure"], "patients": item["patients"]} for item in root["byTreatment"]]
