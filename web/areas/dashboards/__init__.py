"""The indicators: the ministry's and each city's dashboards, the records behind each figure,
their exports, and the same figures as JSON."""
