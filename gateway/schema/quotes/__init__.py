"""Quotes: the itemized price of a package with chosen options, which a booking locks."""
