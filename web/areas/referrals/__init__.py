"""Referrals: a city's board, referring a case, and answering, completing or withdrawing a
referral; as pages and as JSON."""
