"""The cases as JSON: a city's list and one case with its history (minimised for partner
systems), the lifecycle and the person's identifiers; one router per resource."""
