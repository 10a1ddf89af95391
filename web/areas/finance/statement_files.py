"""A financial statement as a table (the CSV and XLSX downloads, through web.kit.exports) and as
a printable PDF (fpdf2), both stamped with the moment it is as of and the event position it was
read at, like every other export. The rows are the lines by sub-action and heading, then the
totals: direct costs, indirect costs (the flat rate), total, and the co-financing split and the
payments, so a reader can add them up."""

from __future__ import annotations

from decimal import Decimal

from fpdf import FPDF

from domain.finance.statements import Statement
from web.kit.i18n import DISPLAY_TIMEZONE, Translator
from web.kit.labels import Labels
from web.kit.vocabulary.finance import COST_HEADINGS, NATIONAL_PARTNERS, WHOLE_ACTION

ZERO = Decimal("0.00")


def co_beneficiary_name(co_beneficiary: str, labels: Labels) -> str:
    """A co-beneficiary's name as the pages show it: a national partner's, a city's, or the
    whole action's."""
    if co_beneficiary == "action":
        return labels.label({"action": WHOLE_ACTION}, co_beneficiary)
    if co_beneficiary in NATIONAL_PARTNERS:
        return labels.label(NATIONAL_PARTNERS, co_beneficiary)
    return labels.city(co_beneficiary)


def statement_rows(statement: Statement, translator: Translator) -> list[list[object]]:
    """(line, sub-action, heading, budget, admitted, awaiting, not admitted) rows."""
    _ = translator.gettext
    labels = Labels(translator)
    rows: list[list[object]] = [
        [_("Direct costs"), line.sub_action, labels.label(COST_HEADINGS, line.heading),
         line.budget, line.admitted, line.pending, line.disallowed]
        for line in statement.lines]
    budget, admitted = statement.budget_split, statement.admitted_split
    rows += [
        [_("Direct costs, total"), "", "", statement.direct_budget, statement.direct_admitted,
         statement.pending, statement.disallowed],
        [_("Indirect costs (flat rate)"), "", "", statement.indirect_budget,
         statement.indirect_admitted, None, None],
        [_("Total costs"), "", "", statement.total_budget, statement.total_admitted, None, None],
        [_("Financed by the grant"), "", "", budget.financed, admitted.financed, None, None],
        [_("Co-financing"), "", "", budget.co_financing, admitted.co_financing, None, None],
        [_("Payments received"), "", "", None, statement.payments_received, None, None],
        [_("Payments due"), "", "", None, statement.payments_due, None, None],
    ]
    return rows


def _text(value: str) -> str:
    """fpdf2's core fonts are Latin-1: anything else is replaced (a dash, say)."""
    return value.replace("–", "-").replace("€", "EUR").encode("latin-1", "replace").decode(
        "latin-1")


def statement_pdf(statement: Statement, translator: Translator, who: str) -> bytes:
    _ = translator.gettext
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(_text(f"{_('Financial statement')} - {who}"))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    kind = _("Final statement") if statement.final else _("Interim statement")
    pdf.cell(0, 9, _text(f"{kind} - {who}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    as_of = statement.as_of.astimezone(DISPLAY_TIMEZONE).isoformat(timespec="seconds")
    pdf.cell(0, 6, _text(f"{_('As of')}: {as_of}   {_('Event position')}: {statement.position}"),
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    headings = [_("Line"), _("Sub-action"), _("Cost heading"), _("Budget"), _("Admitted"),
                _("Awaiting the check"), _("Not admitted")]
    widths = [62, 22, 45, 37, 37, 37, 37]
    pdf.set_font("Helvetica", "B", 8)
    for heading, width in zip(headings, widths, strict=True):
        pdf.cell(width, 6, _text(heading), border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 8)
    for row in statement_rows(statement, translator):
        for index, (value, width) in enumerate(zip(row, widths, strict=True)):
            if isinstance(value, Decimal):
                pdf.cell(width, 5, _text(translator.money(value)), border=1, align="R")
            else:
                pdf.cell(width, 5, _text("" if value is None else str(value))[:48], border=1,
                         align="L" if index < 3 else "R")
        pdf.ln()
    return bytes(pdf.output())
