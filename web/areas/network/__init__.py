"""The network at a glance: the home page (the cities the signed-in person may open, with their
case counts), each city's page, and the ministry's overview of every city, as pages and as JSON."""
