"""GraphQL subscriptions: the Subscription root type and its events (``fields``), this process's
subscribers and how change notices reach them, across processes on PostgreSQL (``hub``), the
WebSocket protocol handler with its sign-in and bounds (``ws``), and an import's progress as it
is published (``imports``)."""
