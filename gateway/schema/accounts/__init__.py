"""Who is calling: the API key's role, clinic and agency."""
