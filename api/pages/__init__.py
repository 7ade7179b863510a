"""Server-rendered pages for people (issue 6): sign in, waiting children, a child's ranked
homes, the team decision and its page, the recruitment gap map and a community's figures, the
outcome measures with their trends and disparities, and a plan's equity audit.

Jinja2 templates (``api/templates/pages``), one plain stylesheet served from this package,
no script and nothing from the internet. A page shows what the signed-in key's role may see
through the API (:data:`api.services.keys.PERMISSIONS`); the pages call the same services as
the API and write the same audit entries. One module per area: :mod:`~api.pages.signin`,
:mod:`~api.pages.children`, :mod:`~api.pages.decisions`, :mod:`~api.pages.gaps`,
:mod:`~api.pages.plans`, :mod:`~api.pages.outcomes` (its charts: :mod:`~api.pages.charts`);
what they share is :mod:`~api.pages.render`.
"""

# each area adds its pages to the one router when imported
from api.pages import calls, children, decisions, gaps, outcomes, plans, signin  # noqa: F401
from api.pages.render import router

__all__ = ["router"]
