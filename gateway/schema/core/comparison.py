"""Things side by side on the same facts, the best value in each row marked."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import graphene

from services.common.localization import Wording


class ComparisonValue(graphene.ObjectType):
    """One cell of a comparison: the fact for one column."""

    text = graphene.String(description="The fact as text (null when unknown or not offered).")
    best = graphene.Boolean(required=True, description="True where this column has the best value of the row.")


class ComparisonRow(graphene.ObjectType):
    """One fact compared across the columns, the best value marked."""

    fact = graphene.String(required=True, description="Stable code of the fact, e.g. PRICE_PER_SESSION.")
    label = graphene.String(required=True, description="The fact's name, for people.")
    values = graphene.List(
        graphene.NonNull(ComparisonValue), required=True, description="One value per column, in column order."
    )


class Labels:
    """The row labels of one comparison in one language, from ``seed/texts/comparison.json``;
    ``values`` fill a label's blanks (``{currency}``)."""

    WORDING = Wording("comparison")

    def __init__(self, comparison: str, lang: str, **values: Any):
        self.comparison, self.lang, self.values = comparison, lang, values

    def __call__(self, fact: str) -> str:
        return self.WORDING(f"{self.comparison}.{fact}", self.lang, **self.values)

    def join(self, items: Iterable[str]) -> str:
        return self.WORDING.join(items, self.lang)

    def include(self, code: str) -> str:
        """What a package includes (``includes`` code), for people."""
        return self.WORDING(f"include.{code}", self.lang) if f"include.{code}" in self.WORDING.texts else code


def row(
    labels: Labels,
    fact: str,
    values: list[Any],
    *,
    best: str | None = None,
    show: Callable[[Any], str] = str,
    texts: list[str | None] | None = None,
) -> dict:
    """A comparison row; ``best`` is "min" or "max" over the values that are known. ``texts``
    shows the values otherwise than ``show`` does (money in a currency)."""
    known = [v for v in values if v is not None]
    target = (min(known) if best == "min" else max(known)) if best and known else None
    shown = texts if texts is not None else [None if v is None else show(v) for v in values]
    return {
        "fact": fact,
        "label": labels(fact),
        "values": [
            {"text": text, "best": target is not None and v == target and len(known) > 1}
            for v, text in zip(values, shown, strict=True)
        ],
    }
