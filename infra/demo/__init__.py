"""A demo data set: a plausible, invented run of the whole programme (intakes, referrals and their
answers, shelters and placements, community activities, expenditure claims, closures), made
through the same application services a coordinator and the ministry use, so every rule of the
domain is applied to it. Every person is fictitious: names are drawn from syllables, not from any
register; organisations are described, not named.

Deterministic for a seed: ids come from `random.Random(seed)` and times from the simulated
calendar, never from uuid4 or the clock, so the same seed writes the same events. The simulation
runs in time order (a queue of actions, each at its moment in the simulated calendar), so the
times of the events it writes increase along the log, as a real programme's would.

A command the domain refuses would be a bug of this generator (it asks only what its own view of
the programme allows): refusals are counted and reported, never hidden.

The modules: `scale` (how much programme, over which dates), `people` (the invented persons and
the staff who record their work), `scheduler` (the simulated calendar every area shares), one
module per area of work (`cases`, `referrals`, `housing`, `activities`, `finance`), and
`simulation`, which plans every city and runs the calendar to its end."""
