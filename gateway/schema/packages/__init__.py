"""Clinics' treatment packages: search, comparison, treatment options, exchange rates, and their admin."""
