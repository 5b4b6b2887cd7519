from __future__ import annotations

from django import forms

from .models import Document


class DocumentForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Document
        fields = ["title", "description", "file", "cover"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "file": "Any file. It is stored on the private 'uploads' mount.",
            "cover": "Optional image, stored on the 'public' mount.",
        }


class SyncForm(forms.Form):
    dry_run = forms.BooleanField(
        required=False, label="Dry run", help_text="Only show what would be copied or deleted."
    )
    delete = forms.BooleanField(
        required=False,
        label="Delete from the archive",
        help_text="Remove archived files that are no longer in uploads (--delete).",
    )
    force = forms.BooleanField(
        required=False,
        label="Even if uploads is empty",
        help_text="With delete: empty the archive when uploads has no files (--force).",
    )
