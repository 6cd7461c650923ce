"""The privacy notice, public (no login): /tietosuojaseloste/ in Finnish, /en/privacy-notice/
in English, and either as JSON with ?format=json.

The page shows the version in force (section 12), or the live configuration while no version
has been published; ?version=N shows any published version, and versions announced but not
yet in effect are named with their date and summary.
"""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from rekisteri.notice.selectors import (
    PublicNotice,
    public_notice,
    upcoming_changes,
    version_get,
    version_rendering,
)


def _version_meta(version, changed_sections: list[int] | None = None) -> dict | None:
    if version is None:
        return None
    return {
        "number": version.number,
        "effective_on": version.effective_on.isoformat(),
        "published_at": version.published_at.isoformat(),
        "significant": version.significant,
        "summary": version.summary,
        **({"changed_sections": changed_sections} if changed_sections is not None else {}),
    }


def _notice(request, language: str):
    requested = request.GET.get("version")
    if requested is not None:
        if not requested.isdigit() or len(requested) > 9:
            raise Http404
        version = version_get(int(requested))
        if version is None:
            raise Http404
        notice = PublicNotice(rendering=version_rendering(version), version=version, upcoming=[])
    else:
        notice = public_notice()
    # What is announced but not yet in effect (section 12): each upcoming version and the
    # sections it changes; the sections above show only what is in effect.
    upcoming = upcoming_changes(notice, language)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "language": language,
                "version": _version_meta(notice.version),
                "upcoming": [_version_meta(v, sections) for v, sections in upcoming],
                "document": notice.rendering.document[language],
                **notice.rendering.facts,
            },
            json_dumps_params={"ensure_ascii": False, "indent": 1},
        )
    doc = notice.rendering.document[language]
    with translation.override(language):
        response = render(
            request,
            "public/notice/notice.html",
            {
                "doc": doc,
                "version": notice.version,
                "upcoming": [
                    {"version": v, "sections": ", ".join(str(number) for number in sections)}
                    for v, sections in upcoming
                ],
                "controller": notice.rendering.facts.get("controller"),
                "notice_language": language,
            },
        )
    response["Content-Language"] = language
    return response


@require_GET
def notice_fi(request):
    return _notice(request, "fi")


@require_GET
def notice_en(request):
    return _notice(request, "en")
