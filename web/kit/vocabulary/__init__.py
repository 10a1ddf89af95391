"""Each area's words: its codes' labels, its event types, its refusals, and how its events read
on a case's timeline. web.kit.labels, web.kit.errors and the case page gather them; each area
keeps its own module so that its words sit together (and its translations in its own `.po`
file)."""

from web.kit.vocabulary import activities, case_lifecycle, finance, housing, referrals

# Every area, once: labels, refusal messages and event names are gathered from these.
AREAS = (case_lifecycle, referrals, housing, activities, finance)
