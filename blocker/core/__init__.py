"""The bottom layer: value objects, errors, weeks, keys, files and the clock.

Everything else of ours (``rules``, ``providers``, the planner, sync engine, store,
service, web and CLI) may import from here; nothing here imports anything of ours
outside ``blocker.core``, so a change above can never create an import cycle below.
"""
