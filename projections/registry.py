"""The read models the platform keeps: every projection the projector feeds, in the order it
applies them. The web reads them, a replay rebuilds them (infra.replay), and the position the
read models reached is the slowest of these projections' (projections.indicators)."""

from __future__ import annotations

from projections.activities import ActivityRegisterProjection
from projections.assignment import AssignmentProjection
from projections.case_list import CaseListProjection
from projections.deliveries import DeliveryProjection
from projections.documents import DocumentsProjection
from projections.finance import FinanceProjection
from projections.households import HouseholdProjection
from projections.housing import HousingProjection
from projections.network_overview import NetworkOverviewProjection
from projections.notes import CaseNotesProjection
from projections.organisations import OrganisationProjection
from projections.person_links import PersonLinksProjection
from projections.plans import PlansProjection
from projections.projection import Projection
from projections.referrals import ReferralBoardProjection


def default_projections() -> list[Projection]:
    """A new instance of every read model's projection."""
    return [
        CaseListProjection(),
        NetworkOverviewProjection(),
        ReferralBoardProjection(),
        HousingProjection(),
        ActivityRegisterProjection(),
        FinanceProjection(),
        PlansProjection(),
        DocumentsProjection(),
        HouseholdProjection(),
        CaseNotesProjection(),
        AssignmentProjection(),
        DeliveryProjection(),
        PersonLinksProjection(),
        OrganisationProjection(),
    ]


PROJECTION_NAMES: tuple[str, ...] = tuple(projection.name for projection in default_projections())
