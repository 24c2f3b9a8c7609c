"""CostBridge HTTP and GraphQL layer: thin; parses input, checks permission, calls the domain."""
