"""The catalogue service: clinics, procedures and scar types (the knowledge of the seed document)."""
