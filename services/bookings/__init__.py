"""The bookings service: slots, reservations that never overbook, their lifecycle, care plans."""
