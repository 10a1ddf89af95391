"""The programme's shared vocabulary, as the project card states it (docs/domain.md)."""

from __future__ import annotations

from domain.programme import (
    CENTRAL_SUB_ACTIONS,
    CROSS_CUTTING_SUB_ACTIONS,
    PERSON_SUB_ACTIONS,
    ProtectionStatus,
    ProtectionStatusGroup,
    SubAction,
)


def test_the_cross_cutting_sub_actions_are_1_and_6_and_the_central_ones_2_to_5() -> None:
    """Card: "due Sub-Azioni trasversali (Sub-Azione 1 ... e Sub-Azione 6 ...) e quattro
    distinte Sub-Azioni centrali"."""
    assert [s.value for s in CROSS_CUTTING_SUB_ACTIONS] == ["1", "6"]
    assert [s.value for s in CENTRAL_SUB_ACTIONS] == ["2", "3", "4", "5"]
    assert [s.value for s in SubAction if s.is_cross_cutting] == ["1", "6"]
    assert set(CROSS_CUTTING_SUB_ACTIONS) | set(CENTRAL_SUB_ACTIONS) == set(SubAction)
    assert not set(CROSS_CUTTING_SUB_ACTIONS) & set(CENTRAL_SUB_ACTIONS)


def test_final_recipients_are_enrolled_in_2_3_and_4_only_5_being_central_but_for_staff() -> None:
    """Card: Sub-Azione 5 is "Azioni di sostegno e affiancamento mirate a favorire l'empowerment
    organizzativo-operativo delle Amministrazioni locali": central, yet its participants are
    municipal staff, and no person taken in joins it."""
    assert [s.value for s in SubAction if s.enrols_final_recipients] == ["2", "3", "4"]
    assert tuple(PERSON_SUB_ACTIONS) == (
        SubAction.CIVIC_ENGAGEMENT, SubAction.EMERGENCY_TAKE_IN, SubAction.FAST_TRACK_HOUSING)
    assert not SubAction.ADMINISTRATION_EMPOWERMENT.is_cross_cutting
    assert not SubAction.ADMINISTRATION_EMPOWERMENT.enrols_final_recipients


def test_the_sixteen_statuses_fall_into_five_kinds_for_the_figures() -> None:
    """docs/domain.md, "Protection status": international protection is refugee status and
    subsidiary protection (d.lgs. 251/2007); applicants are at first instance or appealing
    (d.lgs. 25/2008); the national forms and the TUI's special permits are one kind."""
    kinds: dict[ProtectionStatusGroup, set[str]] = {}
    for status in ProtectionStatus:
        kinds.setdefault(status.group, set()).add(status.value)
    assert kinds == {
        ProtectionStatusGroup.INTERNATIONAL_PROTECTION: {"refugee", "subsidiary_protection"},
        ProtectionStatusGroup.APPLICANT: {"asylum_seeker", "appellant"},
        ProtectionStatusGroup.NATIONAL_PROTECTION: {
            "humanitarian_protection", "special_cases", "special_protection", "permit_art_18",
            "permit_art_18_bis", "permit_art_19_c2_d_bis", "permit_art_20_bis",
            "permit_art_22_c12_quater", "permit_art_42_bis"},
        ProtectionStatusGroup.OTHER_STATUS: {"stateless", "other_residence_permit"},
        ProtectionStatusGroup.NO_VALID_PERMIT: {"no_valid_permit"},
    }
