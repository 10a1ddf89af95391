"""The programme's terms: what is in force (period, partner cities, referral answer times,
priority weights) and the Ministry's decisions that set them."""
