"""The per-request context: database session, the authenticated user, and the DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from api.dataloaders import Loaders
from models.company import CompanySettings, get_settings
from models.users import User


@dataclass
class Context:
    request: Request
    response: Response | None
    session: Session
    user: User | None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.session)

    @property
    def settings(self) -> CompanySettings:
        return get_settings(self.session)


Info = StrawberryInfo[Context, None]
