"""Background work: the jobs the control plane runs on a schedule, beside its API.

A job is a plain async function of a ``JobContext`` (database, Redis, settings, state bus);
``scheduler.py`` runs the list the app factory registers (``control_plane.app.JOBS``), once per
due time across replicas.
"""
