"""The Italian pages use the programme's words (docs/glossary.md) and one register.

Every Italian `msgstr` is read and each forbidden form below fails the test, with the glossary
line it breaks:

- "Sotto-azione", "sottoazione" (any case): `| Sub-Azione N | Sub-Action N | never "Sotto-azione"
  | project card |`.
- "nazionalità": `| cittadinanza | citizenship | the word for a person's nationality everywhere
  ("nazionalità" is not used) | — |`.
- "persone accolte": `| presa in carico (prese in carico) | taking in (intakes) | ... | project card
  ("presa in carico emergenziale") |`.
- "beneficiari" (but "co-beneficiari" is allowed): `| destinatari finali | final recipients | ...
  Not "beneficiari" alone: in EU grants the *beneficiari* are the partner bodies ... |`.
- "richiedente/i asilo": `| richiedente protezione internazionale | applicant for international
  protection | ... | d.lgs. 25/2008; d.lgs. 142/2015 |`.
- "ministero" in lower case: `| Ministero (dell'Interno) | the Ministry (of the Interior) | always
  capitalised | — |`.
- "comune"/"comuni" in lower case where it means the institution ("il/del/al/dal/nel/un/altro/
  altri/ogni/tuo/proprio/dei/ai/dai/nei/i/19 comune/i"): `| Comune | municipality, city | one of the
  19 partner cities; always capitalised | project card |`.
- "assegnat*" / "assegnazion*" (money is "stanziato"/"stanziamento"): `| stanziamento, stanziato |
  allocation, allocated | the one word for budgeted money ("assegnato" is not used for money) |`.
- second person ("tu", and "voi" for partner systems) and its imperatives: `The pages address the
  user with "Lei" or impersonally, never "tu".` The register chosen is the impersonal one of
  public-administration forms: the infinitive ("Indicare il motivo…", and on buttons "Registrare
  l'invio"). Forbidden anywhere: tuo, tua, tuoi, tue, ti, puoi, hai, sei, vuoi, devi, stai,
  vostro/a/i/e, potete, and the enclitic or unambiguous imperatives that were replaced (inserisci,
  inseriscilo, scegli, scegline, chiudila, riaprilo, correggili, leggili, selezionalo, annullala,
  attendi, accedi, ricarica, riprova, spunta, fai clic). Forbidden where a sentence, a clause after
  ":"/";"/"(" or an alternative ("o", "oppure") starts, since in the middle of a sentence the same
  word is a third person ("la piattaforma registra"): the imperatives indica, registra, controlla,
  usa, torna, aggiungi, rimuovi, conta, chiudi, riapri, invia, annulla, filtra, esci, accetta,
  rifiuta, ritira, approva, respingi, imposta, iscrivi, offri, togli, segna, segui, concludi,
  completa, azzera, consulta, mostra, nascondi, cancella, apri, correggi, modifica, scarica, vai,
  scrivi, prendi, seleziona, rendiconta, concedi, revoca, autorizza, lascia, vedi.

The six sub-actions are named in Italian exactly as the glossary's rows "Sub-Azione N – name".
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain.programme import SubAction
from tests.web.test_translations import LOCALE_DIR, catalogue
from web.kit.i18n import compile_catalogues
from web.kit.labels import SUB_ACTIONS

GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "glossary.md"

SECOND_PERSON_WORDS = (
    "tuo", "tua", "tuoi", "tue", "ti", "puoi", "hai", "sei", "vuoi", "devi", "stai",
    "vostro", "vostra", "vostri", "vostre", "potete",
    "inserisci", "inseriscilo", "scegli", "scegline", "chiudila", "riaprilo", "correggili",
    "leggili", "selezionalo", "annullala", "attendi", "accedi", "ricarica", "riprova", "spunta",
)
IMPERATIVES = (
    "indica", "registra", "controlla", "usa", "torna", "aggiungi", "rimuovi", "conta", "chiudi",
    "riapri", "invia", "annulla", "filtra", "esci", "accetta", "rifiuta", "ritira", "approva",
    "respingi", "imposta", "iscrivi", "offri", "togli", "segna", "segui", "concludi", "completa",
    "azzera", "consulta", "mostra", "nascondi", "cancella", "apri", "correggi", "modifica",
    "scarica", "vai", "scrivi", "prendi", "seleziona", "rendiconta", "concedi", "revoca",
    "autorizza", "lascia", "vedi",
)
_WORD_END = r"(?![\wàèéìòù])"
_WORD_START = r"(?<![\wàèéìòù'-])"
# Where a command would start: the message, a sentence, a clause after ":" ";" "(", or an
# alternative after "o"/"oppure".
_CLAUSE_START = r"(?:^|[.:;!?(]\s*|\b(?:o|oppure),?\s+)"

FORBIDDEN: dict[str, re.Pattern[str]] = {
    "Sotto-azione (glossary: Sub-Azione N, never Sotto-azione)":
        re.compile(r"sotto-?\s?azion", re.IGNORECASE),
    "nazionalità (glossary: cittadinanza)": re.compile(r"nazionalit", re.IGNORECASE),
    "persone accolte (glossary: presa in carico / prese in carico)":
        re.compile(r"persone\s+accolte", re.IGNORECASE),
    "beneficiari for the people served (glossary: destinatari finali)":
        re.compile(r"(?<!co-)(?<!co)\bbeneficiar", re.IGNORECASE),
    "richiedente asilo (glossary: richiedente protezione internazionale)":
        re.compile(r"richiedent[ei]\s+(?:d[i']\s*)?asilo", re.IGNORECASE),
    "ministero in lower case (glossary: Ministero, always capitalised)":
        re.compile(r"\bministero\b"),
    "comune in lower case for the institution (glossary: Comune, always capitalised)":
        re.compile(r"\b(?:il|del|al|dal|nel|sul|un|altro|ogni|tuo|proprio|suo|dei|ai|dai|nei|i|"
                   r"altri|19|ciascun)\s+comun[ei]\b|\bcomune\s+di\s+[A-Z]"),
    "assegnato/assegnazione for money (glossary: stanziato, stanziamento)":
        re.compile(r"\bassegna(?:t|zion)", re.IGNORECASE),
    "second person (glossary: Lei or impersonal, never tu)":
        re.compile(_WORD_START + r"(?:" + "|".join(SECOND_PERSON_WORDS) + r"|fai\s+clic)"
                   + _WORD_END, re.IGNORECASE),
    "imperative of the second person (glossary: Lei or impersonal, never tu)":
        re.compile(_CLAUSE_START + r"(?:" + "|".join(IMPERATIVES) + r")" + _WORD_END,
                   re.IGNORECASE),
}


def italian_texts() -> list[tuple[str, str]]:
    """(message id, Italian text) for every msgstr, each plural form apart."""
    texts: list[tuple[str, str]] = []
    for message in catalogue("it"):
        if not message.id:
            continue
        message_id = message.id if isinstance(message.id, str) else message.id[0]
        strings = (message.string,) if isinstance(message.string, str) else message.string or ()
        texts.extend((message_id, str(string)) for string in strings if string)
    return texts


def test_the_catalogue_is_read() -> None:
    assert len(italian_texts()) > 500


@pytest.mark.parametrize("rule", list(FORBIDDEN))
def test_no_italian_message_uses_a_forbidden_form(rule: str) -> None:
    pattern = FORBIDDEN[rule]
    offending = [(message_id, text) for message_id, text in italian_texts()
                 if pattern.search(text)]
    assert offending == [], rule


@pytest.mark.parametrize(
    ("text", "rule"),
    [("Indica il motivo.", "imperative"), ("Il caso è chiuso: riaprilo.", "second person"),
     ("Torna al presente", "imperative"), ("Scegli un'altra struttura, o attendi.", "second"),
     ("Il tuo Comune", "second person"), ("Quanto il ministero ha assegnato", "ministero"),
     ("Qualsiasi nazionalità", "nazionalità"), ("Beneficiari presenti", "beneficiari"),
     ("(Sotto-azione 4)", "Sotto-azione"), ("Richiedente asilo", "richiedente asilo"),
     ("Persone accolte", "persone accolte"), ("trasferito a un altro comune", "comune")],
)
def test_each_rule_catches_the_forms_it_was_written_for(text: str, rule: str) -> None:
    assert any(pattern.search(text) for name, pattern in FORBIDDEN.items()
               if name.startswith(rule) or rule in name)


@pytest.mark.parametrize(
    "text",
    ["La piattaforma registra ogni fatto.", "Un caso trasferito conta per il Comune che lo ha "
     "ricevuto.", "I co-beneficiari del progetto", "Ministero dell'Interno", "Stanziato",
     "Registrare l'invio", "L'intestazione ce-dataschema indica lo schema seguito dal corpo."],
)
def test_the_rules_let_the_right_forms_pass(text: str) -> None:
    assert [name for name, pattern in FORBIDDEN.items() if pattern.search(text)] == []


def glossary_sub_action_names() -> dict[str, str]:
    rows = re.findall(r"^\| Sub-Azione ([1-6]) – ([^|]+?) \|", GLOSSARY.read_text(encoding="utf-8"),
                      re.MULTILINE)
    return dict(rows)


def test_the_glossary_names_the_six_sub_actions() -> None:
    assert sorted(glossary_sub_action_names()) == ["1", "2", "3", "4", "5", "6"]


@pytest.mark.parametrize("sub_action", list(SubAction))
def test_each_sub_action_has_the_glossarys_italian_name(sub_action: SubAction) -> None:
    italian = compile_catalogues("it", LOCALE_DIR)
    assert italian.gettext(SUB_ACTIONS[sub_action]) == glossary_sub_action_names()[sub_action.value]


def test_the_sub_action_names_in_running_text_are_the_glossarys() -> None:
    """Where a message names a sub-action after its number ("Sub-Azione 4: ..."), the name is
    the glossary's, not another wording of it."""
    names = {number: name.lower() for number, name in glossary_sub_action_names().items()}
    wrong = []
    for message_id, text in italian_texts():
        for number, named in re.findall(r"Sub-Azione ([1-6]): ([^.;(]+)", text):
            if number in ("3",) and named.strip() == "prese in carico":
                continue  # an indicator's title (the intakes of Sub-Azione 3), not the name
            if not names[number].startswith(named.strip().lower()):
                wrong.append((message_id, text))
    assert wrong == []
