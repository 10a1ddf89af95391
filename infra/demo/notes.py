"""Case notes and follow-ups in the demo: the staff's contacts with the people they serve, in
Italian (invented phrases, like every demo person), each dated on the day of the contact and
often with a next follow-up. A weekly round goes over the open cases of every city: a first
interview for a case without notes, then each follow-up falling due is done by a note of the
contact (now and then a few days late); a few notes are corrected by a note that supersedes
them. In the last weeks of the calendar some follow-ups are missed, so that the demo's "today"
has follow-ups overdue in the work queue."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from uuid import UUID

from domain.notes.model import Contact, ContactKind
from domain.programme import PROGRAMME_TIMEZONE, City, programme_today
from infra.demo.known import KnownCase
from infra.demo.people import operator
from infra.demo.scheduler import Area, DemoServices, Scheduler

# How many days before the calendar's end a follow-up may be missed (left overdue).
_MISSED_WINDOW = timedelta(days=21)
_MISSED_SHARE = 0.3

_PHRASES: dict[ContactKind, tuple[str, ...]] = {
    ContactKind.MEETING: (
        "Colloquio di conoscenza: raccolte le prime informazioni sul percorso migratorio e "
        "sulle esigenze immediate.",
        "Colloquio di aggiornamento sul progetto individuale: la persona frequenta con "
        "regolarità il corso di italiano.",
        "Colloquio con la mediatrice linguistica: spiegati i passi per il rinnovo del "
        "permesso di soggiorno.",
        "Colloquio sul lavoro: interesse per un tirocinio nella ristorazione, da verificare "
        "con il Centro per l'impiego.",
        "Colloquio: riferite difficoltà nel pagamento delle utenze, orientata allo sportello "
        "del Comune.",
        "Colloquio di verifica: documenti completi, in attesa della convocazione in "
        "Commissione territoriale.",
    ),
    ContactKind.PHONE_CALL: (
        "Telefonata per ricordare l'appuntamento in Questura di lunedì.",
        "Telefonata: la persona conferma l'iscrizione al corso di italiano A2.",
        "Telefonata di verifica dopo il trasferimento nel nuovo alloggio: nessun problema "
        "segnalato.",
        "Telefonata: rinviato l'incontro per una visita medica, da fissare di nuovo.",
        "Telefonata con il datore di lavoro del tirocinio: inserimento positivo.",
    ),
    ContactKind.HOME_VISIT: (
        "Visita domiciliare: alloggio in ordine, segnalata umidità in una stanza.",
        "Visita domiciliare: convivenza serena, concordate le regole per le spese comuni.",
        "Visita domiciliare: la persona chiede aiuto per la richiesta della residenza.",
        "Visita domiciliare insieme all'educatrice: verificati i progressi nella gestione "
        "del bilancio familiare.",
    ),
    ContactKind.ACCOMPANIMENT: (
        "Accompagnamento all'ASL per la scelta del medico di base.",
        "Accompagnamento in Questura per il rilascio del permesso di soggiorno.",
        "Accompagnamento all'anagrafe per la richiesta della carta d'identità.",
        "Accompagnamento al Centro per l'impiego per l'iscrizione e la DID.",
        "Accompagnamento allo sportello legale per l'udienza di ricorso.",
    ),
}
_FOLLOW_UP_PHRASES = (
    " Fissata una verifica.", " Da risentire per l'esito.", " Ci si rivede per fare il punto.",
)
_CORRECTIONS = (
    "Correzione: la data dell'appuntamento riferita era sbagliata, quella giusta è la "
    "settimana successiva.",
    "Correzione: il colloquio si è svolto con la mediatrice, non in italiano.",
)
# Minutes a contact of each kind lasts (low, high).
_MINUTES: dict[ContactKind, tuple[int, int]] = {
    ContactKind.MEETING: (20, 90), ContactKind.PHONE_CALL: (3, 20),
    ContactKind.HOME_VISIT: (30, 120), ContactKind.ACCOMPANIMENT: (60, 300),
}


@dataclass
class _Notebook:
    started: bool = False
    follow_ups: dict[UUID, date] = field(default_factory=dict)
    """The open follow-ups: the note that asked for each, and its date."""


class NoteDesk(Area):
    """The staff's notes of their contacts with the people whose cases they hold."""

    def __init__(
        self, scheduler: Scheduler, services: DemoServices,
        cases_of: dict[City, list[KnownCase]],
    ) -> None:
        super().__init__(scheduler, services, cases_of)
        self.notebooks: dict[UUID, _Notebook] = {}
        # A random source of its own, drawn from the run's seed without taking a draw from the
        # shared one: the notes leave every other area's draws (people, dates, statuses) as
        # they were without them.
        self.rng = random.Random(f"notes:{scheduler.rng.getstate()[1][:8]}")
        self.new_id = lambda: UUID(int=self.rng.getrandbits(128), version=4)
        self.working_time = partial(scheduler.working_time, rng=self.rng)
        self.attempt = partial(scheduler.attempt, rng=self.rng)

    def plan_rounds(self) -> None:
        """A round every week of the calendar, on a working morning."""
        day = self.scale.start + timedelta(days=2)
        while day <= self.scale.end:
            self.at(self.working_time(day, 8, 10), self.round)
            day += timedelta(days=7)

    def round(self) -> None:
        today = self.clock.date()
        week_end = today + timedelta(days=6)
        cases = [case for city in self.scale.cities for case in self.cases_of[city]]
        for case in cases:
            if not case.is_open:
                continue
            notebook = self.notebooks.setdefault(case.id, _Notebook())
            if not notebook.started:
                if self.rng.random() < 0.7:
                    self.write(case, notebook, ContactKind.MEETING, ())
                continue
            due = sorted((on, note) for note, on in notebook.follow_ups.items()
                         if on <= week_end)
            for on, note in due:
                if (self.scale.end - on <= _MISSED_WINDOW
                        and self.rng.random() < _MISSED_SHARE):
                    continue  # missed: overdue at the calendar's end
                if on > today and self.rng.random() < 0.5:
                    continue  # later this week, at the next round (a few days late)
                kind = self.rng.choices(list(ContactKind), weights=[40, 30, 15, 15])[0]
                self.write(case, notebook, kind, (note,))

    def write(self, case: KnownCase, notebook: _Notebook, kind: ContactKind,
              done: tuple[UUID, ...]) -> None:
        rng = self.rng
        note_id = self.new_id()
        minutes = rng.randint(*_MINUTES[kind])
        asks = rng.random() < (0.8 if not notebook.started else 0.55)
        gap = rng.randint(5, 30)
        text = rng.choice(_PHRASES[kind]) + (rng.choice(_FOLLOW_UP_PHRASES) if asks else "")
        city = case.city
        written: list[Contact] = []

        def write(now: datetime) -> None:
            contact = _contact(kind, now, minutes, gap if asks else None, done)
            self.services.notes.write_note(case.id, note_id, text, contact, operator(city), now)
            written.append(contact)

        if not self.attempt("note", write):
            return
        notebook.started = True
        for note in done:
            notebook.follow_ups.pop(note, None)
        contact = written[0]
        if contact.follow_up_on is not None:
            notebook.follow_ups[note_id] = contact.follow_up_on
        if rng.random() < 0.04:
            self.correct(case, notebook, note_id, contact)

    def correct(self, case: KnownCase, notebook: _Notebook, note_id: UUID,
                contact: Contact) -> None:
        """A correction, the same day: a new note that supersedes the first (both kept); its
        follow-up is the one that counts."""
        correction_id = self.new_id()
        text = self.rng.choice(_CORRECTIONS)
        city = case.city
        corrected = Contact(contact.kind, contact.contacted_on, contact.duration_minutes,
                            contact.contacted_at, contact.follow_up_on, supersedes=note_id)

        def correct(now: datetime) -> None:
            self.services.notes.write_note(case.id, correction_id, text, corrected,
                                           operator(city), now)

        if not self.attempt("note_correction", correct):
            return
        follow_up = notebook.follow_ups.pop(note_id, None)
        if follow_up is not None:
            notebook.follow_ups[correction_id] = follow_up


def _contact(kind: ContactKind, now: datetime, minutes: int, gap: int | None,
             done: tuple[UUID, ...]) -> Contact:
    """A contact that ended a moment ago, today in Italy (its time given when it began today)."""
    today = programme_today(now)
    began = now - timedelta(minutes=minutes)
    at = began if began.astimezone(PROGRAMME_TIMEZONE).date() == today else None
    return Contact(kind, today, minutes, contacted_at=at,
                   follow_up_on=today + timedelta(days=gap) if gap is not None else None,
                   follow_ups_done=done)
