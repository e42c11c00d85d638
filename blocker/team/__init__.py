"""The team lead's view of members' weeks: figures only, never meetings (issue 20.5)."""
