from __future__ import annotations

from django import forms

from billing.models import CreditPack
from billing.money import format_usd, micros_to_usd, usd_to_micros

# A billion dollars: far beyond any real grant, far below the 64-bit columns' limit.
MAX_AMOUNT_MICROS = 10**15


class UsdAmountField(forms.Field):
    """Staff type dollars ("12.50"); the model stores integer micro-USD."""

    widget = forms.TextInput

    def __init__(self, *, minimum_micros: int | None = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.minimum_micros = minimum_micros  # None: any sign

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return micros_to_usd(value)
        return value

    def to_python(self, value) -> int | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        try:
            if len(text) > 32:
                raise ValueError(text)
            micros = usd_to_micros(text)
        except ValueError:
            raise forms.ValidationError(
                "Enter an amount in USD with at most six decimals."
            ) from None
        if abs(micros) > MAX_AMOUNT_MICROS:
            raise forms.ValidationError("That amount is too large.")
        if self.minimum_micros is not None and micros < self.minimum_micros:
            minimum = (
                "zero" if self.minimum_micros == 0 else format_usd(self.minimum_micros, places=6)
            )
            raise forms.ValidationError(f"Enter an amount of at least {minimum}.")
        return micros


class CheckoutForm(forms.Form):
    pack = forms.ModelChoiceField(
        queryset=CreditPack.objects.filter(active=True),
        error_messages={
            "required": "Choose a credit pack.",
            "invalid_choice": "That credit pack is no longer on sale.",
        },
    )


class RedeemForm(forms.Form):
    code = forms.CharField(
        max_length=64, widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"})
    )


class GrantCreditsForm(forms.Form):
    """The admin action's form: an amount in USD (negative deducts) and why."""

    amount_usd = UsdAmountField(
        label="Amount (USD)", minimum_micros=None, help_text="For example 25 or -3.50 (deducts)."
    )
    note = forms.CharField(max_length=500, help_text="Why; kept on the ledger entry.")
    # A double submit posts the same grant once (the ledger's idempotency key).
    grant_id = forms.UUIDField(widget=forms.HiddenInput)

    def clean_amount_usd(self) -> int:
        micros = self.cleaned_data["amount_usd"]
        if not micros:
            raise forms.ValidationError("Enter an amount other than zero.")
        return micros
