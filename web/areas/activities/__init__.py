"""Community activities (Sub-Actions 2, 3, 5, 6): a city's register and each activity with its
participants and sessions; as pages and as JSON."""
