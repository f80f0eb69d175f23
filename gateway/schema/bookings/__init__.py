"""Slots and availability, bookings and their lifecycle, screening, care plans."""
