"""The expenditure section's figures in the grant's model (issue 13 item 5): absorption (admitted
over budget, total costs) per co-beneficiary on the ministry's dashboard and per cost heading on
a city's, and the claims awaiting the ministry's check with their age in days. From the same
statements as the finance pages (web.kit.grant_statements), so the two always agree."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from domain.finance.statements import Statement
from projections.grant_finance import GrantClaimRow
from web.areas.dashboards.figures import Cell, FigureTable, Row
from web.areas.dashboards.vocabulary import money_in_words, number_in_words, share_in_words
from web.kit.exports import Column
from web.kit.grant_statements import GrantStatements
from web.kit.i18n import Translator
from web.kit.labels import Labels
from web.kit.vocabulary.finance import COST_HEADINGS, NATIONAL_PARTNERS, WHOLE_ACTION


def _money(value: Decimal, translator: Translator) -> Cell:
    return Cell(value, money_in_words(value, translator))


def _name(who: str, labels: Labels) -> str:
    if who in NATIONAL_PARTNERS:
        return labels.label(NATIONAL_PARTNERS, who)
    return labels.city(who)


def absorption_by_co_beneficiary(statements: GrantStatements,
                                 translator: Translator) -> FigureTable:
    _, labels = translator.gettext, Labels(translator)

    def row(key: str, name: str, budget: Decimal, admitted: Decimal, share: Decimal | None,
            pending: Decimal) -> Row:
        return Row(key, (Cell(name, name), _money(budget, translator),
                         _money(admitted, translator),
                         Cell(share, share_in_words(share, translator)),
                         _money(pending, translator)))

    action = statements.action
    return FigureTable(
        name="grant_co_beneficiaries", title=_("Absorption per co-beneficiary"),
        columns=(Column(_("Co-beneficiary")), Column(_("Budget"), "money"),
                 Column(_("Admitted"), "money"), Column(_("Absorption"), "percent"),
                 Column(_("Awaiting the check"), "money")),
        rows=tuple(row(part.co_beneficiary, _name(part.co_beneficiary, labels),
                       part.total_budget, part.total_admitted, part.absorption, part.pending)
                   for part in statements.parts),
        totals=(row("action", _(WHOLE_ACTION), action.total_budget, action.total_admitted,
                    action.absorption, action.pending),),
        note=_("Total costs, indirect costs included; absorption is what the ministry admitted "
               "over the budget."),
    )


def absorption_by_heading(statement: Statement | None, translator: Translator) -> FigureTable:
    """Per cost heading of `statement`: the action's (the ministry's dashboard) or a
    co-beneficiary's (None: it has no budget, claim or payment)."""
    _, labels = translator.gettext, Labels(translator)
    lines = statement.by_heading() if statement is not None else ()
    return FigureTable(
        name="grant_headings", title=_("Absorption per cost heading"),
        columns=(Column(_("Cost heading")), Column(_("Budget"), "money"),
                 Column(_("Admitted"), "money"), Column(_("Absorption"), "percent")),
        rows=tuple(Row(line.heading, (
            Cell(line.heading, labels.label(COST_HEADINGS, line.heading)),
            _money(line.budget, translator), _money(line.admitted, translator),
            Cell(line.admitted / line.budget if line.budget else None,
                 share_in_words(line.admitted / line.budget if line.budget else None,
                                translator))))
            for line in lines),
        note=_("Direct costs."),
    )


def claims_awaiting(claims: tuple[GrantClaimRow, ...], now: datetime,
                    translator: Translator) -> FigureTable:
    _, labels = translator.gettext, Labels(translator)
    waiting = sorted((claim for claim in claims if claim.awaits_check),
                     key=lambda claim: claim.submitted_at or claim.drafted_at)
    return FigureTable(
        name="grant_awaiting", title=_("Claims awaiting the ministry's check"),
        columns=(Column(_("Co-beneficiary")), Column(_("Cost heading")),
                 Column(_("Eligible amount"), "money"), Column(_("Days waiting"), "int")),
        rows=tuple(Row(str(claim.claim_id), (
            Cell(claim.co_beneficiary, _name(claim.co_beneficiary, labels)),
            Cell(claim.heading, labels.label(COST_HEADINGS, claim.heading)),
            _money(claim.eligible_amount, translator),
            Cell(days := (now - (claim.submitted_at or claim.drafted_at)).days,
                 number_in_words(days, translator))))
            for claim in waiting),
    )


def grant_tables(statements: GrantStatements | None, statement: Statement | None,
                 claims: tuple[GrantClaimRow, ...], now: datetime,
                 translator: Translator) -> dict[str, FigureTable]:
    """The grant's tables of a dashboard: the ministry's (every co-beneficiary's `statements`,
    `statement` the action's) with the co-beneficiaries' absorption, a city's (`statements`
    None, `statement` its own) with its own headings and claims only."""
    tables = {
        "grant_headings": absorption_by_heading(statement, translator),
        "grant_awaiting": claims_awaiting(claims, now, translator),
    }
    if statements is not None:
        tables["grant_co_beneficiaries"] = absorption_by_co_beneficiary(statements, translator)
    return tables
