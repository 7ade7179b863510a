"""The call list on the child's page: a "called" form per ranked home, posted here.

A recorded call answers ``303`` back to the child's page (post, redirect, get), where the
home shows as called and the next home to call is highlighted; a decline drops the home from
this child's ranking (rule ``declined``). A call the service refuses gives the child's page
back with a sentence in the page's language beside the call list.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.http.dependencies import EngineDep
from api.pages.children import child_context
from api.pages.i18n import LANGUAGES, translate
from api.pages.render import gated_form, page_lang, render, router
from api.schemas import OfferIn
from api.services.errors import ServiceError
from api.services.offers import record_offer

__all__: list[str] = []


@router.post("/children/{child_id}/calls", response_class=HTMLResponse)
async def record_call(request: Request, engine: EngineDep, child_id: str) -> Response:
    gated = await gated_form(request, "decisions")
    if isinstance(gated, Response):
        return gated
    who, form = gated
    child_id = child_id[:64]
    home = str(form.get("home") or "")[:64]
    takes = [c for c in str(form.get("children") or child_id).split(",") if c][:20]
    outcome = str(form.get("outcome") or "")[:20]
    reason = str(form.get("reason") or "")[:30] or None
    lang = page_lang(request)
    try:
        body = OfferIn.model_validate(
            {"child_ids": takes, "home_id": home, "outcome": outcome, "reason": reason}
        )
        record_offer(engine, who, body)
    except (ValidationError, ServiceError) as exc:
        fields = (
            {str(e["loc"][-1]) for e in exc.errors()}
            if isinstance(exc, ValidationError)
            else {str(e["loc"][-1]) for e in exc.errors}
        )
        key = "calls.error.reason" if fields <= {"reason", "outcome"} else "calls.error.other"
        problem = translate("calls.error", lang, home=home, problem=translate(key, lang))
        context = child_context(request, who, child_id)
        if context is None:
            return render(request, "notfound.html", who, 404)
        context["call_error"] = problem
        return render(request, "child.html", who, 422, **context, form={}, errors={})
    target = f"/pages/children/{child_id}"
    if request.query_params.get("lang") in LANGUAGES:
        target += f"?lang={lang}"
    return RedirectResponse(target + "#calls", status_code=303)
