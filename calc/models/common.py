"""Field types shared by the input models: quantities with an expected dimension, fractions.

A quantity field is declared ``Annotated[Amount, quantity("GJ/t", "GJ/Nm3")]``: the value must be a
``"<number> <unit>"`` string whose unit has the dimension of one of the example units. The
example units double as the hint shown to the user. Checks are cached per unit text, so
validation costs a dictionary look-up per field, not a pint operation.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, PlainValidator

from units import Amount, UnitError, check_dimension, parse_amount


class Strict(BaseModel):
    """Base of every input model: unknown fields are refused, numbers are accepted as text."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        coerce_numbers_to_str=True,
        populate_by_name=True,
        str_strip_whitespace=True,
    )


@lru_cache(maxsize=4096)
def _has_dimension(unit: str, expected: tuple[str, ...]) -> bool:
    try:
        check_dimension(Amount(0.0, unit, unit), expected)
    except UnitError:
        return False
    return True


def _make_quantity_validator(
    expected: tuple[str, ...], *, bare: bool, negative: bool, fraction: bool
) -> PlainValidator:
    def validate(value: object) -> Amount:
        if isinstance(value, Amount):
            return value
        amount = parse_amount(value, bare_number=bare)
        if expected and not _has_dimension(amount.unit, expected):
            check_dimension(amount, expected)  # raises, saying what is wrong with this text
        if amount.magnitude < 0 and not negative:
            raise UnitError(f"“{amount.text}” 为负数", "该量不能为负；请检查正负号或数据来源")
        if fraction:
            share = amount.to("")
            if share > 1:
                written = amount.text
                hint = (
                    f"比例须在 0–1 之间：写作 “{amount.magnitude:g} %” 或 "
                    f"{amount.magnitude / 100:g}"
                    if amount.unit == ""
                    else "比例不能超过 100 %"
                )
                raise UnitError(f"“{written}” 不是 0–1 之间的比例", hint)
        return amount

    return PlainValidator(validate)


def quantity(*expected: str, bare: bool = False, negative: bool = False) -> PlainValidator:
    """Validator of a ``"<number> <unit>"`` field whose unit has one of ``expected``'s dimensions.

    With no ``expected`` unit any dimension is accepted (checked later across fields).
    ``bare`` accepts a number without unit (only for counts); ``negative`` accepts negatives.
    """
    return _make_quantity_validator(tuple(expected), bare=bare, negative=negative, fraction=False)


#: A fraction: ``"99 %"`` or a bare number between 0 and 1.
Fraction = Annotated[
    Amount, _make_quantity_validator(("",), bare=True, negative=False, fraction=True)
]
#: A count of things (stations, valves): a bare number or a quantity without dimension.
Count = Annotated[
    Amount, _make_quantity_validator(("",), bare=True, negative=False, fraction=False)
]


#: Below this a carbon oxidation rate is a typing slip (``0.99 %`` for ``99 %``), not a fuel:
#: published rates lie between 90 % and 100 % (factors.md §1).
LOWEST_OXIDATION = 0.5


def _plausible_oxidation(rate: Amount) -> Amount:
    if rate.to("") < LOWEST_OXIDATION:
        raise UnitError(
            f"碳氧化率 “{rate.text}” 低于 50 %，不像燃料的碳氧化率",
            "碳氧化率通常为 90 %–100 %：写作 “99 %” 或 0.99（“0.99 %” 是 0.0099）",
        )
    return rate


#: A carbon oxidation rate: a fraction, refused when implausibly low.
OxidationRate = Annotated[Fraction, AfterValidator(_plausible_oxidation)]
