"""What every domain of the schema shares: wire objects, scalars and enums, money, connections,
payloads and their errors, comparisons, languages and loaders. It imports no domain."""
