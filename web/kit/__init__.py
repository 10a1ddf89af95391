"""The web layer's kit: what every area's pages and API use and no area owns.

Who is asking and what they may reach (authentication, principal, security_headers), what a
route receives (dependencies), refusals and the one exception handler that answers them
(errors), a page's form from post to refusal (forms), a command carried out and waited for
(commands), translations and the words of the programme's codes (i18n, labels, vocabulary),
page rendering (templating), viewing the record as of a past moment (as_of), exports, the live
stream the dashboards follow (live), liveness (health), and the JSON of a budget line that two
areas' APIs answer with (budget).

Nothing here imports an area (web.areas) or the charts: an import-linter contract checks it."""
