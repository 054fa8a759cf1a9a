"""Working with fleet: submission order and fleetctl calls, the dependency graph."""
