"""Each area's words: its codes' labels, its event types, its refusals, and how its events read
on a case's timeline. web.labels, web.errors and the case page gather them; each area keeps its
own module so that its words sit together (and its translations in its own `.po` file)."""
