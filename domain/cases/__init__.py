"""Cases: the beneficiary taken in by a city, from intake onwards."""
