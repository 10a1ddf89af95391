"""Who is acting on a request.

There is no sign-in yet: until the access-control work replaces `acting_principal`, every write
made through the web is made by the demo coordinator of the city in the path. Routes receive the
principal through `ActingPrincipal`, so that replacement is the only change they need."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from domain.network import Actor, ActorKind, Role
from web.dependencies import PathCity


def acting_principal(city: PathCity) -> Actor:
    """TEMPORARY, until sign-in: the city's demo coordinator acts for every web request."""
    return Actor(ActorKind.USER, f"demo-coordinator-{city.value}", Role.CITY_COORDINATOR, city)


ActingPrincipal = Annotated[Actor, Depends(acting_principal)]
