"""Cases: a city's list (filtered, paginated, exported), the case page with its history and the
forms posted from it (closing, reopening, correcting the case; reading and erasing the person's
identifiers), and the same as JSON."""
