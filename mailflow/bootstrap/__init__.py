"""The composition root (see bootstrap.app): the only package that builds mailflow's objects.

app = build_app(config_path)        # the App: settings, SOP, calendar, directory, database...
app.engine, app.replies, ...        # the conversation engine's parts (bootstrap.conversation)
build_ingest(app), pollers(...)     # the ingest side (bootstrap.ingest)
build_watcher(app)                  # the watched folders (bootstrap.watch)
build_scheduler(app)                # the scheduler with its jobs (bootstrap.jobs)
build_runtime(app, parts)           # `mailflow run` (bootstrap.runtime)
"""

from mailflow.bootstrap.app import App, build_app, build_calendar, check_cross_references

__all__ = ["App", "build_app", "build_calendar", "check_cross_references"]
