"""What the case pages and the cases API both receive and carry out: the list's filters, the
lifecycle's request bodies and commands (closing, reopening, correcting), and the person's
identifiers read and erased."""
