"""Platform data pages: upload a PDD export, see the check (what would be created, updated, rejected), import it,
and watch the progress; the page polls with htmx and can be left and opened again. Store admins and supervisors."""

from pathlib import Path

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from backoffice.errors import DomainError
from backoffice.models import ImportJob, SyncCursor
from backoffice.platform.importing import jobs as import_jobs
from backoffice.platform.pdd import sync
from backoffice.platform.pdd.client import Credentials
from backoffice.staff.roles import Role, require_role

PER_PAGE = 20
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Export"),
        choices=[("", gettext_lazy("Recognise from the header")), *ImportJob.Kind.choices],
        required=False,
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (GBK or UTF-8) or XLSX, as the PDD merchant backend exports it."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )
    all_or_nothing = forms.BooleanField(
        label=gettext_lazy("All or nothing: import nothing if any row is rejected"), required=False
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 200 MB. Split the export by date and upload the parts.")
            )
        if Path(upload.name).suffix.lower() not in import_jobs.SUFFIXES:
            raise forms.ValidationError(_("Upload the export as CSV or XLSX."))
        return upload


class ImportForm(forms.Form):
    all_or_nothing = forms.BooleanField(
        label=gettext_lazy("All or nothing: import nothing if any row is rejected"), required=False
    )


def _allowed(request: HttpRequest) -> None:
    require_role(request.user, Role.SUPERVISOR, Role.STORE_ADMIN)


@require_http_methods(["GET", "POST"])
def jobs(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = import_jobs.create_job(
            source=upload,
            original_name=upload.name,
            kind=form.cleaned_data["kind"] or None,
            all_or_nothing=form.cleaned_data["all_or_nothing"],
            user=request.user,
        )
        import_jobs.dispatch(job)
        return redirect("imports:job", pk=job.pk)
    page = Paginator(ImportJob.objects.select_related("created_by"), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "cursors": list(SyncCursor.objects.order_by("stream")),
        "sync_configured": sync.is_configured(),
        "credentials": Credentials.load(),
    }
    return render(request, "imports/jobs.html", context)


@require_http_methods(["GET"])
@vary_on_headers("HX-Request")
def job(request: HttpRequest, pk: int) -> HttpResponse:
    _allowed(request)
    job = get_object_or_404(ImportJob.objects.select_related("created_by"), pk=pk)
    context = {
        "job": job,
        "stale": import_jobs.is_stale(job),
        "import_form": ImportForm(initial={"all_or_nothing": job.all_or_nothing}),
        "errors_not_listed": max(job.rejected - len(job.errors), 0),
    }
    template = "imports/job.html"
    if request.htmx:
        template += "#job-status"
    return render(request, template, context)


@require_POST
def run(request: HttpRequest, pk: int) -> HttpResponse:
    _allowed(request)
    job = get_object_or_404(ImportJob, pk=pk)
    form = ImportForm(request.POST)
    form.is_valid()
    try:
        job = import_jobs.start_import(
            job=job, user=request.user, all_or_nothing=form.cleaned_data.get("all_or_nothing", False)
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("imports:job", pk=pk)
    import_jobs.dispatch(job)
    return redirect("imports:job", pk=pk)


@require_POST
def resume(request: HttpRequest, pk: int) -> HttpResponse:
    _allowed(request)
    job = get_object_or_404(ImportJob, pk=pk)
    try:
        job = import_jobs.resume(job=job)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("imports:job", pk=pk)
    import_jobs.dispatch(job)
    messages.success(request, _("The job is queued again."))
    return redirect("imports:job", pk=pk)
