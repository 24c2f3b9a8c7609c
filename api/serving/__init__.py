"""How the API serves a request without letting any client stop the server: the body read and
capped first (``body``), one bounded worker pool for all database work (``workers``), the
request's session and user (``session``), limits checked before a GraphQL operation runs
(``limits``, ``inputs``), coded failures with request ids (``failures``), the GraphQL endpoint
(``graphql_http``) and the outermost middleware (``middleware``)."""
