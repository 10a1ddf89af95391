"""Taking a person in: the intake form and the API's intakes, one request model for both."""
