"""Each area's words: its codes' labels, its event types' names and its refusals' messages.
They are read across the areas, which is why they sit in the kit rather than in each area:
web.kit.labels gathers the labels and the event names (the case timeline and the event browser
name every area's events), web.kit.errors the refusals (the one exception handler explains
every area's), and the dashboards label every area's codes. Each area keeps its own module, a
leaf that imports only web.kit.i18n, so that its words sit together (and its translations in
its own `.po` file)."""

from web.kit.vocabulary import (
    activities,
    case_lifecycle,
    casework,
    deliveries,
    documents,
    finance,
    households,
    housing,
    identity,
    notes,
    organisations,
    plans,
    programme,
    referrals,
    vulnerabilities,
)

# Every area, once: labels, refusal messages and event names are gathered from these.
AREAS = (case_lifecycle, referrals, housing, activities, finance, programme, vulnerabilities,
         plans, documents, households, notes, casework, deliveries, identity,
         organisations)
