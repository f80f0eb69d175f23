"""Korean law on attracting foreign patients: facilitators' and institutions' registrations, agencies' fee
agreements with clinics under the commission caps, monthly commission statements and the annual report. The
bookings service keeps them, beside the bookings they govern."""
