"""Forms of the seller portal's case pages and of the reviewer workbench. They validate the
shape of the input; the services decide (and their refusals come back as form errors)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kyc.models import Disposition, DocumentStatus, DocumentType, QualificationDocument
from kyc.selectors import document_type_list
from merchants.forms import BrandChoiceField, CategoryChoiceField
from merchants.models import Brand, CapabilityKind, Category, Merchant, Person, RiskTier

from .models import CaseKind, CaseState, CommentVisibility, ReasonCode, ReasonKind, Severity

ACCEPT = ".pdf,.jpg,.jpeg,.png"
DATE_WIDGET = {"type": "date"}


# --------------------------------------------------------------------------- choice helpers


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        roles = ", ".join(obj.role_labels)
        return f"{obj.full_name} ({roles})" if roles else obj.full_name


class DocumentTypeSelect(forms.Select):
    """Each option carries what the type needs, so the page can show the right fields."""

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        doc_type = getattr(value, "instance", None)
        if isinstance(doc_type, DocumentType):
            option["attrs"].update(
                {
                    "data-family": doc_type.family,
                    "data-has-expiry": "1" if doc_type.has_expiry else "0",
                    "data-indefinite": "1" if doc_type.allows_indefinite_validity else "0",
                    "data-requires-number": "1" if doc_type.requires_number else "0",
                    "data-person": "1" if doc_type.code == "identity_document" else "0",
                }
            )
        return option


class DocumentTypeChoiceField(forms.ModelChoiceField):
    widget = DocumentTypeSelect

    def label_from_instance(self, obj: DocumentType) -> str:
        return f"{obj.get_family_display()} — {obj.name}"


def reason_choices(reasons: Sequence[ReasonCode], *kinds: str) -> list[tuple[str, str]]:
    """Bilingual labels (ReasonCode.text); a final rejection reason says so."""
    out = []
    for rc in reasons:
        if rc.kind not in kinds:
            continue
        label = rc.text
        if rc.kind == ReasonKind.REJECTION and rc.severity == Severity.FINAL:
            label = f"{label} [{_('final')}]"
        out.append((rc.code, label))
    return out


# --------------------------------------------------------------------------- seller portal


class DocumentUploadForm(forms.Form):
    document_type = DocumentTypeChoiceField(
        label=_("Document type"),
        queryset=DocumentType.objects.none(),
        empty_label=_("Choose the document type"),
    )
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,  # the service names an empty file precisely
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    number = forms.CharField(
        label=_("Document number"),
        required=False,
        max_length=100,
        help_text=_("The license, registration or ID number printed on it."),
    )
    issuer = forms.CharField(label=_("Issued by"), required=False, max_length=255)
    holder_name = forms.CharField(
        label=_("Holder name"),
        required=False,
        max_length=255,
        help_text=_("The name exactly as printed on the document."),
    )
    issue_date = forms.DateField(
        label=_("Issue date"),
        required=False,
        widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
    )
    expiry_date = forms.DateField(
        label=_("Expiry date"),
        required=False,
        widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
    )
    valid_indefinitely = forms.BooleanField(
        label=_("No expiry (长期): the document is valid indefinitely"),
        required=False,
        help_text=_("Only for a document that says 长期 instead of an end date."),
    )
    person = PersonChoiceField(
        label=_("Whose document"),
        queryset=Person.objects.none(),
        required=False,
        empty_label=_("The merchant itself"),
    )
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=Category.objects.none(),
        required=False,
        empty_label=_("Not for a category"),
    )
    brand = BrandChoiceField(
        label=_("Brand"),
        queryset=Brand.objects.none(),
        required=False,
        empty_label=_("Not for a brand"),
    )
    replaces = forms.ModelChoiceField(
        queryset=QualificationDocument.objects.none(), required=False, widget=forms.HiddenInput
    )

    METADATA = (
        "number",
        "issuer",
        "holder_name",
        "issue_date",
        "expiry_date",
        "valid_indefinitely",
        "person",
        "category",
        "brand",
    )

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = settings.KYC_MAX_UPLOAD_BYTES / (1024 * 1024)
        self.fields["file"].help_text = gettext(
            "PDF, JPEG or PNG, at most %(mb)s MB. Scan every page, in colour."
        ) % {"mb": f"{limit:.0f}" if limit >= 1 else f"{limit:.2f}"}
        self.fields["document_type"].queryset = document_type_list()  # type: ignore[attr-defined]
        self.fields["person"].queryset = merchant.people.all()  # type: ignore[attr-defined]
        self.fields["category"].queryset = Category.objects.filter(  # type: ignore[attr-defined]
            is_prohibited=False
        )
        self.fields["brand"].queryset = Brand.objects.all()  # type: ignore[attr-defined]
        self.fields["replaces"].queryset = (  # type: ignore[attr-defined]
            merchant.documents.exclude(status=DocumentStatus.SUPERSEDED)
        )

    def metadata(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in self.METADATA}


class BrandChainLinkForm(forms.Form):
    """One link of a brand authorization chain; the service validates the chain as a whole."""

    grantor_name = forms.CharField(
        label=_("Granted by"),
        max_length=255,
        required=False,
        help_text=_("Link 1: the brand owner; later links: the previous link's recipient."),
    )
    grantee_name = forms.CharField(
        label=_("Granted to"),
        max_length=255,
        required=False,
        help_text=_("The last link: your company's registered name."),
    )
    territories = forms.CharField(
        label=_("Territory"),
        max_length=200,
        required=False,
        help_text=_("Two-letter country codes, e.g. CN, HK; empty for worldwide."),
    )
    valid_from = forms.DateField(
        label=_("Valid from"),
        required=False,
        widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
    )


BrandChainFormSet = forms.formset_factory(
    BrandChainLinkForm, extra=1, max_num=5, absolute_max=5, validate_max=True
)


class CapabilityApplyForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Apply to"),
        widget=forms.RadioSelect,
        choices=[
            (CapabilityKind.CATEGORY, _("Sell in a category")),
            (CapabilityKind.BRAND, _("Sell a brand")),
        ],
        initial=CapabilityKind.CATEGORY,
    )
    category = CategoryChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        required=False,
        empty_label=_("Choose a category"),
    )
    brand = BrandChoiceField(
        label=_("Brand"),
        queryset=Brand.objects.all(),
        required=False,
        empty_label=_("Choose a brand"),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer to the reviewer"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Upload the corrected documents first, then explain what you changed."),
    )


class SellerCommentForm(forms.Form):
    body = forms.CharField(
        label=_("Message to the reviewer"), widget=forms.Textarea(attrs={"rows": 2})
    )


# --------------------------------------------------------------------------- reviewer workbench


class QueueFilterForm(forms.Form):
    queue = forms.ChoiceField(
        label=_("Queue"),
        required=False,
        choices=[
            ("open", _("Open (waiting for the platform)")),
            ("mine", _("Mine")),
            ("unassigned", _("Unassigned")),
            ("all", _("All cases")),
        ],
    )
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("Any state")), *CaseState.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *CaseKind.choices]
    )
    risk_tier = forms.ChoiceField(
        label=_("Risk tier"), required=False, choices=[("", _("Any risk")), *RiskTier.choices]
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Merchant name, registration number or case #"),
            }
        ),
    )

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {"queue": "open"}
        data = {k: v for k, v in self.cleaned_data.items() if v}
        queue = data.get("queue") or "open"
        data["queue"] = "" if queue == "all" else queue
        return data


class CaseActionForm(forms.Form):
    """Every decision form carries the state the reviewer saw, so an action taken on a page
    that has gone stale is refused as a conflict instead of applying to a different case
    situation."""

    seen_state = forms.CharField(widget=forms.HiddenInput, required=False)
    # Fields the service insists on; the page marks them as needed but lets the service say
    # what is wrong, so the rule lives in one place.
    service_required: tuple[str, ...] = ()

    def __init__(self, *args: Any, reasons: Sequence[ReasonCode] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reasons = reasons


class RationaleForm(CaseActionForm):
    rationale = forms.CharField(
        label=_("Rationale"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReopenForm(RationaleForm):
    service_required = ("rationale",)


class EscalateForm(RationaleForm):
    service_required = ("rationale",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rationale"].label = _("Why does this case need EDD?")


class ApproveForm(RationaleForm):
    field_order = ["reason_codes", "rationale"]
    reason_codes = forms.MultipleChoiceField(
        label=_("Approval notes"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason_codes"].choices = reason_choices(  # type: ignore[attr-defined]
            self.reasons, ReasonKind.APPROVAL
        )


class RejectForm(RationaleForm):
    service_required = ("reason_codes", "rationale")
    field_order = ["reason_codes", "rationale"]
    reason_codes = forms.MultipleChoiceField(
        label=_("Rejection reasons"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The seller sees these reasons. Any final reason makes the rejection final."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason_codes"].choices = reason_choices(  # type: ignore[attr-defined]
            self.reasons, ReasonKind.REJECTION
        )
        self.fields["rationale"].help_text = _("Internal: kept in the case file.")


class CommentForm(CaseActionForm):
    service_required = ("body",)
    body = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    visibility = forms.ChoiceField(
        label=_("Who sees it"),
        widget=forms.RadioSelect,
        initial=CommentVisibility.INTERNAL,
        choices=[
            (CommentVisibility.INTERNAL, _("Internal note (staff only)")),
            (CommentVisibility.SELLER, _("Visible to the seller")),
        ],
    )


class DocumentDecisionForm(CaseActionForm):
    """Accept or reject one document. The reason is needed for a rejection and offers only
    document reasons; the note is needed when accepting a document whose checks warned or
    failed (`needs_note`), and the seller reads it on a rejection. The service decides; the
    page marks both as needed, never as "(optional)"."""

    service_required: tuple[str, ...] = ("reason_code",)
    document = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        label=_("Decision"),
        widget=forms.RadioSelect,
        choices=[("accept", _("Accept")), ("reject", _("Reject"))],
    )
    reason_code = forms.ChoiceField(
        label=_("Reason (needed for a rejection)"),
        required=False,
        help_text=_("Document reasons only; the seller sees the reason."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=1000,
        help_text=_("On a rejection the seller reads it."),
    )

    def __init__(self, *args: Any, needs_note: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason_code"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *reason_choices(self.reasons, ReasonKind.DOCUMENT),
        ]
        if needs_note:
            self.service_required = ("reason_code", "note")
            self.fields["note"].label = _("Note (needed to accept: the checks warned or failed)")
            self.fields["note"].help_text = _(
                "Say why you accept it anyway. On a rejection the seller reads it."
            )


class ScreeningAgreementForm(CaseActionForm):
    """A second staff member agrees with clearing a strong hit as a false positive."""

    match = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Your comment"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What you checked yourself before agreeing."),
    )


class ScreeningDispositionForm(CaseActionForm):
    """A reviewer's disposition of one sanctions screening hit (one form per hit)."""

    service_required = ("status", "comment")
    match = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label=_("Disposition"),
        required=False,
        widget=forms.RadioSelect,
        choices=[
            (Disposition.FALSE_POSITIVE, _("False positive")),
            (Disposition.CONFIRMED, _("Confirmed match")),
            (Disposition.INCONCLUSIVE, _("Inconclusive (needs a second, senior reviewer)")),
        ],
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What you compared (date of birth, nationality, address, registry) and why."),
    )


class RiskOverrideForm(CaseActionForm):
    service_required = ("tier", "comment")
    tier = forms.ChoiceField(
        label=_("Risk tier"), required=False, choices=[("", "—"), *RiskTier.choices]
    )
    comment = forms.CharField(
        label=_("Why does the score not fit this merchant?"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Raising to high sends the case to EDD with four-eyes approval; lowering a high "
            "tier needs a senior reviewer."
        ),
    )


class RequestInfoForm(CaseActionForm):
    """One consolidated RFI: a message, a deadline, and every item to fix — documents (each
    with a reason and a note; a document given a reason is rejected) and requirements."""

    service_required = ("message",)
    message = forms.CharField(
        label=_("Message to the seller"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    deadline = forms.DateField(
        label=_("Answer by"),
        required=False,
        widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
        help_text=_("Without an answer by then, the case expires."),
    )
    requirements = forms.MultipleChoiceField(
        label=_("Missing items to ask for"), required=False, widget=forms.CheckboxSelectMultiple
    )
    other = forms.CharField(label=_("Anything else to fix"), required=False, max_length=1000)
    capability = forms.ChoiceField(label=_("Ask about a capability"), required=False)
    capability_question = forms.CharField(
        label=_("Question about that capability"), required=False, max_length=1000
    )

    def __init__(
        self,
        *args: Any,
        documents: Sequence[QualificationDocument] = (),
        requirement_items: Sequence[tuple[str, str]] = (),
        capabilities: Sequence[Any] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["capability"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((str(c.pk), c.label) for c in capabilities),
        ]
        self.fields["deadline"].initial = timezone.localdate() + timedelta(
            days=settings.KYC_RFI_DEFAULT_DAYS
        )
        self.fields["requirements"].choices = list(  # type: ignore[attr-defined]
            requirement_items
        )
        self.documents = list(documents)
        choices = [
            ("", "—"),
            *reason_choices(self.reasons, ReasonKind.DOCUMENT, ReasonKind.INFORMATION),
        ]
        for doc in self.documents:
            self.fields[f"doc_{doc.pk}"] = forms.BooleanField(label=_("Include"), required=False)
            self.fields[f"doc_{doc.pk}_reason"] = forms.ChoiceField(
                label=_("Reason"), required=False, choices=choices
            )
            self.fields[f"doc_{doc.pk}_note"] = forms.CharField(
                label=_("Note"), required=False, max_length=1000
            )

    def document_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "document": doc,
                "include": self[f"doc_{doc.pk}"],
                "reason": self[f"doc_{doc.pk}_reason"],
                "note": self[f"doc_{doc.pk}_note"],
            }
            for doc in self.documents
        ]

    def clean_deadline(self) -> datetime | None:
        day: date | None = self.cleaned_data.get("deadline")
        if day is None:
            return None
        # The seller has the whole of the last day.
        return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))

    def items(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for doc in self.documents:
            if self.cleaned_data.get(f"doc_{doc.pk}"):
                items.append(
                    {
                        "document_id": doc.pk,
                        "reason_code": self.cleaned_data.get(f"doc_{doc.pk}_reason", ""),
                        "note": self.cleaned_data.get(f"doc_{doc.pk}_note", ""),
                    }
                )
        for code in self.cleaned_data.get("requirements") or []:
            items.append({"requirement_code": code})
        if self.cleaned_data.get("other"):
            items.append({"note": self.cleaned_data["other"]})
        if self.cleaned_data.get("capability"):
            items.append(
                {
                    "capability_id": int(self.cleaned_data["capability"]),
                    "note": self.cleaned_data.get("capability_question", ""),
                }
            )
        return items

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("capability") and not cleaned.get("capability_question", "").strip():
            self.add_error("capability_question", _("Say what you need to know about it."))
        return cleaned
