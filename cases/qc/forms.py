"""Forms of the QC pages: shape only; the QC services decide and their refusals come back
as errors next to the fields."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import QcDisputeStatus, QcErrorCategory, QcOutcome, QcSeverity
from .sampling import SEED_MAX

DATE_WIDGET = {"type": "date"}


class DrawForm(forms.Form):
    seed = forms.IntegerField(
        label=_("Seed"),
        required=False,
        min_value=0,
        max_value=SEED_MAX,
        help_text=_("Leave empty for a random seed; it is recorded with the draw."),
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs=DATE_WIDGET)
    )
    until = forms.DateField(
        label=_("To (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs=DATE_WIDGET),
        help_text=_("Decision dates, UTC. Empty: the last 7 days, today included."),
    )


class QcReviewForm(forms.Form):
    # Checked by the service (the last three only for a disagreement), so that its refusals
    # come back next to the fields in one place.
    service_required = ("outcome", "error_category", "severity", "comment")
    outcome = forms.ChoiceField(
        label=_("Verdict"), required=False, widget=forms.RadioSelect, choices=QcOutcome.choices
    )
    error_category = forms.ChoiceField(
        label=_("Error category"),
        required=False,
        choices=[("", _("— none (agreement) —")), *QcErrorCategory.choices],
        help_text=_("Required for a disagreement."),
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("— none (agreement) —")), *QcSeverity.choices],
        help_text=_("Required for a disagreement. A critical finding reopens the case."),
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required for a disagreement; the reviewer reads it with the finding."),
    )


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the finding is wrong"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A finding can be disputed once; a QC lead who did not make it decides."),
    )


class DisputeDecideForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[
            (QcDisputeStatus.UPHELD.value, QcDisputeStatus.UPHELD.label),
            (QcDisputeStatus.DISMISSED.value, QcDisputeStatus.DISMISSED.label),
        ],
    )
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))
