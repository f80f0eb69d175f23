"""Clinics, scar types and procedures: the catalogue, as partners read it and clinic admins edit it."""
