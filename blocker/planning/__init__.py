"""Helpers of the planner (blocker.planner): the timeline and the slot chooser."""
