"""Fast-track housing (Sub-Action 4): shelters and their beds, the waitlist, and a case's path
from the waitlist to a bed and out again; as pages and as JSON."""
