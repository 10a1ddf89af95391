"""The pages people use, one router per area: signing in and out, home and cities, intake,
cases, the ministry's overview, and the event contracts' documentation. Not part of the OpenAPI
schema."""
