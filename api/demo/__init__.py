"""The demo company that ``costbridge demo``, ``costbridge serve --demo`` and ``make run`` load:
its data (``data``), how it is built (``company``) and the start-up that loads it and prints the
demo users' tokens (``start``)."""

from api.demo.data import DEMO_USERS, DemoLogin, DemoUser
from api.demo.start import issue_demo_tokens, load_demo_if_empty

__all__ = ["DEMO_USERS", "DemoLogin", "DemoUser", "issue_demo_tokens", "load_demo_if_empty"]
