"""The web layer's kit: what every area's pages and API use and no area owns. Who is asking
(authentication, principal), what a route receives (dependencies), refusals and their one
exception handler (errors), translations and the words of the programme's codes (i18n, labels,
vocabulary), page rendering (templating), viewing the past (as_of), exports, the live stream.
Nothing here imports an area (web.areas)."""
