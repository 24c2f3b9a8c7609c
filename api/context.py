"""The per-request context: database session, the actor (the authenticated user, or the anonymous
actor every check refuses), the request id (it names the request in the server log), the
DataLoaders, and the hub change notices go through."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from api.dataloaders import Loaders
from models.audit import acting_as
from models.company import CompanySettings, get_settings
from models.policy import ANONYMOUS, Actor, Need
from models.users import SignedInUser, User

if TYPE_CHECKING:
    from api.subscriptions.hub import EventHub


def request_actor(request: Request) -> Actor:
    """The actor of a request the auth middleware has seen: its user, else the anonymous actor."""
    user = getattr(request.state, "user", None)
    return user if user is not None else ANONYMOUS


@dataclass
class Context:
    request: Request
    response: Response | None
    session: Session
    actor: Actor
    request_id: str = "-"
    # this process's subscribers to change notices (an import publishes its progress there)
    hub: EventHub | None = None
    loaders: Loaders = field(init=False)
    _allowed: dict[Need, bool] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.session)
        # whatever this request changes, the audit trail names its actor
        acting_as(self.session, self.actor)

    def allows(self, need: Need) -> bool:
        """Whether the actor meets ``need``, asked of the policy once per request."""
        answer = self._allowed.get(need)
        if answer is None:
            answer = self._allowed[need] = need.allows(self.actor)
        return answer

    @property
    def user(self) -> User | SignedInUser | None:
        """The authenticated user, or None when the actor is not a user."""
        return self.actor if isinstance(self.actor, SignedInUser | User) else None

    @property
    def settings(self) -> CompanySettings:
        return get_settings(self.session)


Info = StrawberryInfo[Context, None]
