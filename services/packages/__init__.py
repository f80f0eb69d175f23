"""The packages service: clinics' treatment packages, exchange rates and locked quotes."""
