"""The demo's hand-written PDFs are PDFs: the header the documents' check looks for, a
cross-reference table whose every offset points at its object, a trailer that finds it; a few
hundred bytes. And no document event reaches partners."""

from __future__ import annotations

import re

from domain.documents.model import FileType, sniff
from events.documents import DOCUMENT_CONTRACTS
from events.partner import partner_kind_for
from infra.demo.documents import demo_pdf


def test_a_demo_pdf_is_small_and_its_cross_references_point_at_its_objects() -> None:
    pdf = demo_pdf("Permesso di soggiorno", "Caso FI-2019-00001, scade il 2019-09-30 (è)")

    assert sniff(pdf) is FileType.PDF
    assert 400 < len(pdf) < 1000
    startxref = int(re.findall(rb"startxref\n(\d+)\n%%EOF\n$", pdf)[0])
    assert pdf[startxref:].startswith(b"xref\n0 6\n")
    offsets = [int(entry) for entry in re.findall(rb"(\d{10}) 00000 n ", pdf)]
    assert len(offsets) == 5
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(f"{number} 0 obj\n".encode())
    length = int(re.findall(rb"/Length (\d+) >>", pdf)[0])
    stream = pdf.split(b"stream\n", 1)[1].split(b"\nendstream", 1)[0]
    assert len(stream) == length
    assert b"FI-2019-00001" in stream and "è".encode() not in pdf


def test_no_document_event_has_a_partner_copy() -> None:
    assert [partner_kind_for(contract.ce_type()) for contract in DOCUMENT_CONTRACTS] == [None, None]
