"""The programme's indicators, per city and for the network, as the read models hold them: cases
taken in and who they are, referrals and how fast they were answered, placements and occupancy,
community activities, expenditure. Computed from the read models of the other projections (no
tables of their own, apart from the housing projection's bed-count history), so the same queries
over read models replayed up to a past moment (infra.replay) give the indicators as of then.

Every figure carries the key the web layer turns into a drill-down link: the same filter narrows
the list of cases, referrals, placements or activities behind it.

Percentiles (median, 90th) are interpolated between the closest ranks, as a spreadsheet's
PERCENTILE.INC does (`statistics.quantiles(..., method="inclusive")`), so an auditor can
reproduce them from an export. A case counts for the city that owns it now (a transferred case
counts where it went, as on the network overview); a referral for the city that requested it, a
placement for the city of its shelter.

Rounding (half up, after the percentile is taken over exact values): hours and days to one
decimal, the occupancy rate to two decimals; money is never rounded.

Every figure is read with a handful of GROUP BY queries over all the cities at once (the
network's dashboard needs them all), in portable SQL: the read models also live in PostgreSQL,
where dates are ISO texts too (hence `substr` for months). The budget is read as the finance
pages read it (projections.finance), in the same transaction."""

from __future__ import annotations

from projections.finance import (
    NetworkFinance,
    city_finance_in,
    finance_version_in,
    network_finance_in,
)
from projections.housing import HousingQueries, PlacementRow
from projections.indicators.calculation import (
    city_expenditure,
    city_row,
    indicators_from,
    network_expenditure,
)
from projections.indicators.figures import (
    CITY_SERVICE,
    PARTNER_DESTINATION,
    TRANSFER_DESTINATION,
    Indicators,
    NetworkDashboard,
)
from projections.indicators.tallies import KeptGroups, Tallies, position_in
from projections.kept import KeptReading
from projections.referrals import ReferralBoardQueries, ReferralRow
from projections.storage.read_models import ReadModelDatabase
from projections.storage.transaction import Transaction


class IndicatorQueries:
    """The indicators of one city or of the network are kept with the position they were read
    at, and read again only once the read models have moved past it: a live dashboard reloads
    each of its sections whenever an event is projected, and every open dashboard's sections
    then share one reading (a few dozen milliseconds at programme scale) instead of one each."""

    def __init__(self, database: ReadModelDatabase) -> None:
        self.database = database
        # Replaced whole, never changed in place: threads share them without a lock.
        self._kept: dict[str | None, Indicators] = {}
        self._kept_dashboard: NetworkDashboard | None = None
        # Every city's budget and claims change far less often than the position: kept until
        # the finance read model changes (a few thousand claims at 10x scale, issue 15).
        self._network_finance: KeptReading[NetworkFinance] = KeptReading()
        # What was read of each read model the tallies count, for each city and the network
        # (None): read again only once its projection has changed it (issue 15).
        self._kept_groups: dict[str | None, KeptGroups] = {}

    def moved_on(self, *changed: str) -> None:
        """Read the indicators afresh next time, as a new position does, and the read models of
        the projections named `changed` as their change does; what is kept by its own read
        model's version stays (the benches' figures after an event)."""
        self._kept = {}
        self._kept_dashboard = None
        for groups in self._kept_groups.values():
            for projection in changed:
                groups.pop(projection, None)

    def position(self) -> int:
        """The event position every projection has reached in these read models."""
        with self.database.reading() as tx:
            return position_in(tx)

    def indicators(self, city: str | None) -> Indicators:
        """One city's indicators, or the network's (None)."""
        kept = self._kept.get(city)
        if kept is not None and kept.position == self.position():
            return kept
        read = self._read_indicators(city)
        self._kept = {**self._kept, city: read}
        return read

    def _read_indicators(self, city: str | None) -> Indicators:
        # The budget in the same read as the rest: the position stated is the figures' own.
        with self.database.reading() as tx:
            tallies = Tallies.read(tx, city, self._groups_of(city))
            expenditure = (network_expenditure(self._network_finance_in(tx)) if city is None
                           else city_expenditure(city_finance_in(tx, city)))
        scope = tallies.network() if city is None else [tallies.of(city)]
        return indicators_from(city, tallies.position, scope, expenditure, tallies.people)

    def network_dashboard(self) -> NetworkDashboard:
        kept = self._kept_dashboard
        if kept is not None and kept.position == self.position():
            return kept
        self._kept_dashboard = self._read_network_dashboard()
        return self._kept_dashboard

    def _read_network_dashboard(self) -> NetworkDashboard:
        with self.database.reading() as tx:
            tallies = Tallies.read(tx, None, self._groups_of(None))
            network_finance = self._network_finance_in(tx)
        rows = tuple(
            city_row(city_finance.city, tallies.of(city_finance.city), city_finance.total)
            for city_finance in sorted(network_finance.cities, key=lambda c: c.city)
        )
        network = indicators_from(None, tallies.position, tallies.network(),
                                  network_expenditure(network_finance), tallies.people)
        return NetworkDashboard(position=tallies.position, cities=rows, network=network)

    def _groups_of(self, city: str | None) -> KeptGroups:
        return self._kept_groups.setdefault(city, {})

    def _network_finance_in(self, tx: Transaction) -> NetworkFinance:
        return self._network_finance.get(finance_version_in(tx),
                                         lambda: network_finance_in(tx))

    # What a figure's drill-down link lists (cases: the case list, with the CaseFilters of the
    # same names; activities: the activity register; expenditure: the finance page).

    def referrals(
        self, city: str, destination: str | None = None, status: str | None = None
    ) -> list[ReferralRow]:
        """The city's referrals (requested there), the latest first, narrowed to a destination
        key of `ReferralIndicators.by_destination` and/or a status."""
        queries = ReferralBoardQueries(self.database)
        if destination in (PARTNER_DESTINATION, TRANSFER_DESTINATION):
            return queries.requested_in(city, destination_kind=destination, status=status)
        if destination is not None:
            return queries.requested_in(city, destination_kind=CITY_SERVICE,
                                        service=destination, status=status)
        return queries.requested_in(city, status=status)

    def placements(
        self, city: str, outcome: str | None = None, moved_in: bool | None = None
    ) -> list[PlacementRow]:
        """The city's placements, the latest offer first, narrowed to an exit outcome
        (`HousingIndicators.exits_by_outcome` keys) and/or to those that reached move-in."""
        return HousingQueries(self.database).city_placements(city, outcome, moved_in)
