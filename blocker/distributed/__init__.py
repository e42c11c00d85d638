"""Jobs past one node: the job functions of :mod:`blocker.jobs` on procrastinate workers.

DESIGN.md section 7. ``BLOCKER_JOBS_BACKEND=procrastinate`` (PostgreSQL only): the
web process only answers HTTP and enqueues; ``blocker worker`` processes run the
jobs; a short periodic dispatcher turns the store's ``next_*_at`` columns into jobs.
"""
