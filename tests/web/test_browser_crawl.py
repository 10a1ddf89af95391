"""Every page each demo role can reach, in a real browser, on a phone (390×844) and a desktop
(1366×900) (issue 14): no page wider than the screen (360 and 414 px too, on the phone), no
console error, no link to a page that answers an error, no heading over a field's label, and no
violation of WCAG 2.1 A/AA that axe-core (from npm, node_modules/axe-core) finds on any page
state, colour contrast included.

One platform, loaded with a small demo run, one server and one browser serve the whole crawl
(module fixtures); each page is visited once per role and size (one page per kind of address:
`/cases/<id>` once, not once per case; a record's page again while it shows a new state), and
axe runs once per page state. Every link found is checked once per role. One test reads all the
findings (and prints two pages, item 16), so that pytest-xdist never crawls twice. Screenshots of
the main pages at both sizes are saved under a temporary folder, printed (or
`LGNET_SCREENSHOT_DIR`)."""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from domain.programme import City
from infra.demo.scale import DemoScale
from infra.demo.simulation import load_demo
from infra.store.accounts.demo import DEMO_ACCOUNTS
from tests.web.conftest import PASSWORD, follower_of, platform_for_tests
from tests.web.test_browser import SCREENSHOT_DIR_VARIABLE, TIMEOUT_MS, browser, served
from web.app import create_app

pytestmark = pytest.mark.browser

__all__ = ["browser"]  # the module's fixture, shared with tests/web/test_browser.py

REPOSITORY = Path(__file__).parents[2]
AXE = REPOSITORY / "node_modules" / "axe-core" / "axe.min.js"
# What WCAG 2.1 A and AA ask that axe can check.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Three cities' last half year before the tests' "now" (2021-10-04): every kind of work, a
# few of each, in a few seconds.
CRAWL_SCALE = DemoScale(
    "crawl", ((City.FIRENZE, 10), (City.MILANO, 8), (City.ROMA, 5)),
    date(2021, 4, 1), date(2021, 9, 30), activities_per_sub_action=2, claims_per_sub_action=4,
)
DEMO_CITIES = {city.value for city in CRAWL_SCALE.cities}
SIZES = {"phone": (390, 844), "desktop": (1366, 900)}
# On the phone each page is also measured at the narrowest and widest phones' widths.
PHONE_WIDTHS = (360, 414)
# One demo user per role (and someone not signed in).
CRAWLERS = ("firenze.coordinatore", "firenze.operatore", "ministero", "revisore", None)
# Links not followed: a stream never ends, and a language link is this page in the other
# language (opening it would change the language of the rest of the crawl;
# tests/web/test_every_page.py opens every page in both).
NOT_FOLLOWED = re.compile(r"/stream$|[?&]lang=")
SCREENSHOTS = {"/", "/sign-in", "/ministry", "/ministry/dashboard", "/cities/{city}",
               "/cities/{city}/cases", "/cases/{id}", "/referrals/{id}", "/queue",
               "/cities/{city}/intake", "/audit/events", "/cases/{id}/documents",
               "/ministry/donor-report", "/cities/{city}/donor-report",
               "/ministry/donor-report/people"}
# How many pages one role may open at one size: a loop in the links would end here.
MOST_PAGES = 120
# A record's page is opened again (another record of the kind) while it shows a new state, up
# to this many states.
MOST_STATES = 4
# A page's state: the forms and the sections it shows.
STATE_SIGNATURE = """[...document.querySelectorAll('main form[class], main section[id]')]
  .map((e) => e.className || e.id).join(' ')"""

# Query parameters that make another view of a page.
VIEWS = {"case"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CASE_CODE = re.compile(r"\b[A-Z]{2}-\d{4}-\d{5}\b")
CITY = re.compile(r"(?<=/cities/)[a-z]+")


def kind_of(url: str) -> str:
    """The kind of page an address is: its path with ids, case codes and cities as
    placeholders. A filter in the query string makes no other kind of page (the same
    template, other rows), except a case's history in the event browser."""
    parts = urlsplit(url)
    path = CITY.sub("{city}", CASE_CODE.sub("{code}", UUID.sub("{id}", parts.path)))
    path = re.sub(r"/\d+(?=/|$)", "/{n}", path)
    views = sorted({name for name, _value in parse_qsl(parts.query) if name in VIEWS})
    return path + ("?" + "&".join(views) if views else "")


def link_key(target: str) -> str:
    """Links that differ only in the record they open (a case, a referral) are checked once;
    every other difference (a page number, a filter) makes another link."""
    return CITY.sub("{city}", CASE_CODE.sub("{code}", UUID.sub("{id}", target)))


@dataclass
class Findings:
    """What the crawl found, by the page (role, size and address) it was found on."""

    pages: list[str] = field(default_factory=list)
    overflow: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    broken_links: list[str] = field(default_factory=list)
    overlaps: list[str] = field(default_factory=list)
    axe: list[str] = field(default_factory=list)
    axe_runs: int = 0
    axe_seconds: float = 0.0
    states: set[tuple[str, str, str]] = field(default_factory=set)
    checked_links: dict[str | None, set[str]] = field(default_factory=dict)
    not_pages: set[str] = field(default_factory=set)
    links_checked: int = 0
    seconds: float = 0.0
    screenshots: Path = Path()


# Everything measured on a page in one evaluation: how wide it is, and any heading, legend or
# label drawn over a label or a link (issue 14 items 3 and 4), or a label cut short.
MEASURE = """() => {
  // Shown: not in a folded <details>, not hidden by a style.
  const visible = (e) => { const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && e.checkVisibility({visibilityProperty: true}); };
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    ' "' + e.textContent.trim().replace(/\\s+/g, ' ').slice(0, 40) + '"';
  const texts = [...document.querySelectorAll('main h1, main h2, main h3, main h4, main legend, ' +
                 'main label, main .as-of-back-to-now')]
    .filter((e) => visible(e) && !e.closest('.visually-hidden'));
  const overlaps = [];
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const a = texts[i], b = texts[j];
      if (a.contains(b) || b.contains(a)) continue;
      const r = a.getBoundingClientRect(), s = b.getBoundingClientRect();
      const x = Math.min(r.right, s.right) - Math.max(r.left, s.left);
      const y = Math.min(r.bottom, s.bottom) - Math.max(r.top, s.top);
      if (x > 2 && y > 2) overlaps.push(name(a) + ' over ' + name(b));
    }
  }
  for (const label of document.querySelectorAll('main label')) {
    if (visible(label) && !label.closest('.visually-hidden') &&
        label.scrollWidth > label.clientWidth + 1 &&
        getComputedStyle(label).overflow !== 'visible') overlaps.push('cut: ' + name(label));
  }
  // What reaches past the screen's edge, outermost first, leaving out what a scrolling box
  // holds (a wide table in its .table-responsive).
  const clipped = (e) => { for (let a = e.parentElement; a; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== 'visible') return true; } return false; };
  const wide = [...document.querySelectorAll('body *')].filter((e) => {
    const r = e.getBoundingClientRect();
    return (r.right > innerWidth + 1 || r.left < -1) && visible(e) && !clipped(e); })
    .slice(0, 3).map((e) => name(e) + '.' + [...e.classList].join('.'));
  return {width: document.documentElement.scrollWidth, inner: innerWidth, overlaps, wide};
}"""

AXE_RUN = """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},
  resultTypes: ['violations']}).then((result) => result.violations.map((v) =>
  v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')
  + (v.nodes.length > 3 ? ' and ' + (v.nodes.length - 3) + ' more' : '')))"""


class Crawl:
    """One role at one size: a browser context signed in as the role, its pages opened one by
    one from the home page, breadth first."""

    def __init__(self, browser: Any, base_url: str, findings: Findings, username: str | None,
                 size: str, axe_source: str) -> None:
        self.base_url = base_url
        self.findings = findings
        self.who = f"{username or 'anonymous'} @{size}"
        self.size = size
        self.username = username
        self.axe_source = axe_source
        width, height = SIZES[size]
        self.context = browser.new_context(viewport={"width": width, "height": height},
                                           locale="it-IT")
        self.tab = self.context.new_page()
        self.tab.set_default_timeout(TIMEOUT_MS)
        self.here = ""
        self.tab.on("console", self.on_console)
        self.tab.on("pageerror", lambda error: self.findings.console.append(
            f"{self.who} {self.here}: {error}"))
        self.visited: set[str] = set()
        # Kinds of page seen enough: a record's page (a referral, a case) in another state
        # shows other forms, so another one is opened while it shows a new state.
        self.done_kinds: set[str] = set()
        self.states_of: dict[str, set[str]] = {}
        # The links a role was shown, checked once (at the first size that shows them).
        self.checked_links = findings.checked_links.setdefault(username, set())

    def on_console(self, message: Any) -> None:
        if message.type == "error":
            self.findings.console.append(f"{self.who} {self.here}: {message.text}")

    def run(self) -> None:
        try:
            start = "/sign-in"
            if self.username:
                self.sign_in()
                start = "/"
            # Pages of the demo's cities first: another city's page of the same kind is
            # visited only if none of theirs is linked (an empty city shows empty lists).
            queue: list[str] = [start]
            later: list[str] = []
            while (queue or later) and len(self.visited) < MOST_PAGES:
                url = queue.pop(0) if queue else later.pop(0)
                kind = kind_of(url)
                if kind in self.done_kinds or url in self.visited:
                    continue
                self.visited.add(url)
                for link in self.visit(url):
                    city = CITY.search(link)
                    (later if city and city.group() not in DEMO_CITIES else queue).append(link)
            self.extra_states()
        finally:
            self.context.close()

    def sign_in(self) -> None:
        self.tab.goto(f"{self.base_url}/sign-in")
        self.tab.fill("#username", str(self.username))
        self.tab.fill("#password", PASSWORD)
        self.tab.click(".sign-in-form button[type=submit]")
        self.tab.wait_for_url(re.compile(r"^(?!.*sign-in).*$"))

    def visit(self, url: str) -> list[str]:
        """Open `url`, check it, and return the links on it to other pages of the app."""
        self.here = url
        answer = self.tab.goto(f"{self.base_url}{url}", wait_until="load")
        if answer is None or answer.status >= 400:
            self.findings.broken_links.append(
                f"{self.who}: {url} answers {answer.status if answer else 'nothing'}")
            return []
        self.findings.pages.append(f"{self.who} {url}")
        kind = kind_of(url)
        signature = self.tab.evaluate(STATE_SIGNATURE)
        states = self.states_of.setdefault(kind, set())
        if signature in states or "{id}" not in kind or len(states) >= MOST_STATES:
            self.done_kinds.add(kind)
        states.add(signature)
        self.check_state(url, signature=signature)
        links = self.tab.eval_on_selector_all(
            "a[href]", "links => links.map(a => a.getAttribute('href'))")
        inside = []
        for href in links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if self.check_link(target) and target != "/sign-in" and target not in self.visited:
                inside.append(target)
        return inside

    def check_state(self, url: str, state: str = "", signature: str = "") -> None:
        """The checks every page state goes through: width, overlaps, axe; a screenshot of the
        main pages."""
        where = f"{self.who} {url}{state}"
        measured = self.tab.evaluate(MEASURE)
        if measured["width"] > measured["inner"]:
            self.findings.overflow.append(
                f"{where}: {measured['width']} px wide at {measured['inner']} "
                f"(past the edge: {measured['wide']})")
        self.findings.overlaps.extend(f"{where}: {o}" for o in measured["overlaps"])
        if self.size == "phone" and not state:
            for width in PHONE_WIDTHS:
                self.tab.set_viewport_size({"width": width, "height": SIZES["phone"][1]})
                measured = self.tab.evaluate(MEASURE)
                if measured["width"] > measured["inner"]:
                    self.findings.overflow.append(
                        f"{where}: {measured['width']} px wide at {width} "
                        f"(past the edge: {measured['wide']})")
            self.tab.set_viewport_size(dict(zip(("width", "height"), SIZES["phone"],
                                                strict=True)))
        # A page of one kind is the same page state for every role that opens it (only the
        # menu differs, and each role's home is a state of its own): axe reads it once, on
        # the desktop, and on the phone the main pages and the open menu.
        kind = kind_of(url)
        state_key = (kind if kind != "/" else f"/ {self.username}", state + signature,
                     self.size)
        if state_key in self.findings.states or (
                self.size == "phone" and kind.split("?")[0] not in SCREENSHOTS and not state):
            return
        self.findings.states.add(state_key)
        started = time.monotonic()
        if not self.tab.evaluate("typeof axe !== 'undefined'"):
            self.tab.evaluate(self.axe_source)
        self.findings.axe_runs += 1
        self.findings.axe.extend(f"{where}: {v}" for v in self.tab.evaluate(AXE_RUN,
                                                                               WCAG_21_AA))
        self.findings.axe_seconds += time.monotonic() - started
        if kind.split("?")[0] in SCREENSHOTS or state:
            name = re.sub(r"[^a-z0-9]+", "-", f"{self.username or 'anonymous'}-{kind}{state}")
            self.tab.screenshot(path=str(self.findings.screenshots / f"{name}-{self.size}.png"),
                                full_page=True)

    def check_link(self, target: str) -> bool:
        """A link is checked once per role: it must not lead to an error page. True for a link
        to a page of the app not yet checked."""
        if NOT_FOLLOWED.search(target):
            return False
        key = link_key(target)
        if key in self.checked_links:
            return key not in self.findings.not_pages
        self.checked_links.add(key)
        self.findings.links_checked += 1
        answer = self.context.request.get(f"{self.base_url}{target}", max_redirects=5)
        if answer.status >= 400:
            self.findings.broken_links.append(
                f"{self.who} {self.here}: link to {target} answers {answer.status}")
        if not (answer.ok and answer.headers.get("content-type", "").startswith("text/html")):
            self.findings.not_pages.add(key)
            return False
        return True

    def extra_states(self) -> None:
        """States a visit does not reach by itself: the phone's open menu, and the past."""
        if self.username is None:
            return
        if self.size == "phone":
            self.here = "/ (menu)"
            self.tab.goto(f"{self.base_url}/")
            self.tab.click(".custom-navbar-toggler")
            self.tab.locator("#main-navigation .menu-wrapper").wait_for(state="visible")
            self.tab.wait_for_timeout(400)  # the menu slides in
            self.check_state("/", " (menu open)")
        if self.tab.locator(".as-of-picker").count() == 0:
            return
        for url in ("/ministry", "/cities/firenze/cases"):
            self.here = f"{url} (as of)"
            self.tab.goto(f"{self.base_url}{url}")
            self.tab.fill("#as-of-moment", "2021-07-01T12:00:00")
            self.tab.click(".as-of-picker button[type=submit]")
            self.tab.locator(".as-of-banner").wait_for()
            self.check_state(url, " (as of)")
            self.tab.click(".as-of-back-to-now")
            self.tab.locator(".as-of-banner").wait_for(state="detached")


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served with a small demo run in it and the demo users (password `PASSWORD`):
    its base URL."""
    with platform_for_tests(tmp_path_factory.mktemp("crawl")) as platform:
        report = load_demo(platform, CRAWL_SCALE, seed=2019)
        assert report.refused == []
        follower_of(platform).catch_up()
        for account in DEMO_ACCOUNTS:
            platform.accounts.add_user(account.username, account.role, PASSWORD,
                                       city=account.city, display_name=account.display_name)
        with served(create_app(platform)) as (base_url, _server):
            yield base_url


@pytest.fixture(scope="module")
def screenshots() -> Path:
    directory = Path(os.environ.get(SCREENSHOT_DIR_VARIABLE)
                     or tempfile.mkdtemp(prefix="lgnet-screens-"))
    directory.mkdir(parents=True, exist_ok=True)
    print(f"\nScreenshots of the crawl: {directory}")
    return directory


@pytest.fixture(scope="module")
def crawled(browser: Any, demo_site: str, screenshots: Path) -> Findings:
    findings = Findings(screenshots=screenshots)
    axe_source = AXE.read_text(encoding="utf-8")
    started = time.monotonic()
    for username in CRAWLERS:
        for size in SIZES:
            Crawl(browser, demo_site, findings, username, size, axe_source).run()
    findings.seconds = time.monotonic() - started
    print(f"Crawled {len(findings.pages)} pages, {findings.axe_runs} axe runs "
          f"({findings.axe_seconds:.0f} s), {findings.links_checked} links in "
          f"{findings.seconds:.0f} s")
    (screenshots / "findings.json").write_text(json.dumps(
        {name: value for name, value in vars(findings).items() if isinstance(value, list)},
        indent=1))
    return findings


# On paper: what is shown of the page's frame, and in which colour; what of the forms is shown.
PRINTED = """() => {
  const shown = (selector) => [...document.querySelectorAll(selector)]
    .filter((e) => e.checkVisibility({visibilityProperty: true}));
  const colours = (selector) => shown(selector).map((e) => getComputedStyle(e).color);
  return {
    project: colours('.it-header-wrapper .it-brand-title'),
    ministry: colours('.it-header-slim-wrapper .navbar-brand'),
    funding: colours('.it-footer .co-funding'),
    menu: shown('#main-navigation .nav-link, #case-search').length,
    controls: shown('main form, main button, main .btn, .it-header-wrapper button').length,
  };
}"""
BLACK = "rgb(0, 0, 0)"


def check_printing(browser: Any, demo_site: str, screenshots: Path) -> None:
    """Issue 14 item 16: the header and the footer (the EU co-funding statement) print, black
    on the white paper; the menu, forms and buttons do not."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="it-IT")
    try:
        tab = context.new_page()
        tab.set_default_timeout(TIMEOUT_MS)
        tab.goto(f"{demo_site}/sign-in")
        tab.fill("#username", "firenze.coordinatore")
        tab.fill("#password", PASSWORD)
        tab.click(".sign-in-form button[type=submit]")
        tab.wait_for_url(f"{demo_site}/")
        for path in ("/cities/firenze/cases", "/cities/firenze/referrals"):
            tab.goto(f"{demo_site}{path}")
            on_screen = tab.evaluate(PRINTED)
            assert on_screen["controls"] > 0 and on_screen["menu"] > 0, path
            assert on_screen["funding"] == ["rgb(255, 255, 255)"], path  # white on blue

            tab.emulate_media(media="print")
            on_paper = tab.evaluate(PRINTED)
            assert on_paper == {"project": [BLACK], "ministry": [BLACK], "funding": [BLACK],
                                "menu": 0, "controls": 0}, path
            name = path.strip("/").replace("/", "-")
            tab.screenshot(path=str(screenshots / f"print-{name}.png"), full_page=True)
            tab.emulate_media(media="screen")
    finally:
        context.close()


def listed(found: list[str]) -> str:
    return "\n".join(sorted(set(found)))


# One test: under pytest-xdist the tests of a module may run on two workers, each of which
# would crawl again. It visits every page of every role at four sizes: the suite's 300 s limit
# for a hanging test is too short for it (7-8 minutes on a quiet two-core machine).
@pytest.mark.timeout(1500)
def test_every_page_each_demo_role_reaches_on_a_phone_a_desktop_and_paper(
    browser: Any, demo_site: str, screenshots: Path, crawled: Findings
) -> None:
    check_printing(browser, demo_site, screenshots)

    visited = {page.split(" ", 2)[-1].split("?")[0] for page in crawled.pages}
    for path in ("/sign-in", "/", "/ministry", "/queue", "/cities/firenze/cases",
                 "/audit/events", "/programme"):
        assert path in visited, path
    assert any(p.startswith("/cases/") for p in visited)
    assert any(p.startswith("/referrals/") for p in visited)
    assert len(crawled.pages) >= 100
    assert crawled.links_checked > 200
    assert crawled.axe_runs >= 100
    found = {
        "Wider than the screen": crawled.overflow,
        "Console errors": crawled.console,
        "Links to an error": crawled.broken_links,
        "Headings over labels, labels cut": crawled.overlaps,
        "WCAG 2.1 A/AA violations that axe finds": crawled.axe,
    }
    assert not any(found.values()), "\n".join(
        f"{what}:\n{listed(problems)}" for what, problems in found.items() if problems)
