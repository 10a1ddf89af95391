"""The indicators for the donor's final report: a city's and the network's, the records behind each
figure, and their exports."""
