from __future__ import annotations

from django import forms

from proxy.models import Provider


class ProviderForm(forms.ModelForm):
    """The API key is write-only: typed once, stored encrypted, never shown again."""

    api_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the stored key. It is encrypted and never shown again.",
    )
    clear_api_key = forms.BooleanField(required=False, help_text="Remove the stored key.")

    class Meta:
        model = Provider
        fields = [
            "name",
            "kind",
            "base_url",
            "extra_headers",
            "connect_timeout_s",
            "first_byte_timeout_s",
            "read_timeout_s",
            "enabled",
        ]

    def save(self, commit: bool = True) -> Provider:
        provider = super().save(commit=False)
        if self.cleaned_data.get("clear_api_key"):
            provider.set_api_key("")
        elif self.cleaned_data.get("api_key"):
            provider.set_api_key(self.cleaned_data["api_key"])
        if commit:
            provider.save()
        return provider
