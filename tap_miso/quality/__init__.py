"""Data quality and run health: record rules, outliers, completeness, score, alerts, report.

Modules: ``rules`` (per-dataset rules and flag names), ``outliers`` (median/MAD trailing window
per series), ``completeness`` (expected vs received intervals per series and date), ``score``
(``StreamQuality``: the per-stream checker), ``monitor`` (``RunMonitor``: one per run, owns the
checkers, ``tap_miso.observability.health.HealthMonitor``, ``...alerts.AlertSink``, latency and
collection-time histograms, and writes the end-of-run report).

How to wire it (tap.py and streams/base.py; nothing else changes)
-----------------------------------------------------------------
1. ``tap_miso/tap.py`` -- create the monitor lazily (``--about`` runs without settings)::

       from tap_miso.quality import RunMonitor

       @cached_property
       def monitor(self) -> RunMonitor:
           monitor = RunMonitor.from_settings(self.settings, logger=self.logger)
           self.summary.alerts = monitor.alerts        # gaps + schema drift become alerts
           return monitor

   In ``client`` (the cached property), attach before returning::

       client = HttpClient(ClientSettings(...))
       self.monitor.attach(client)                     # health + request latency
       return client

   In ``_metrics_exporter``: pass ``monitor=self.monitor`` to ``RunCollector(...)``.

   In ``sync_all``: touch ``self.monitor`` before ``super().sync_all()`` (so gap/drift alerts
   are on from the first record), and in ``finally`` replace ``self.summary.log()`` with::

       self.monitor.finish(summary=self.summary, records=self.records,
                           client=self.__dict__.get("client"), succeeded=succeeded)

   (before ``exporter.finish(...)``, so the textfile/push carry the final scores, gaps and
   alerts). ``finish`` logs the full report and writes ``run_summary_file``.

2. ``tap_miso/streams/base.py`` ``MisoStream.post_process`` -- run the checks and let the policy
   act on *error* flags only (``outlier`` is a warning: never dropped, never fails a run)::

       row["record_hash"] = self.record_hash(row)       # before checks: flags are not hashed
       errors = self._miso_tap.monitor.for_stream(self.name, self.primary_keys).check(row)
       if errors:                                       # was: if row["quality_flags"]:
           ... unchanged flag/drop/fail code, with ', '.join(errors) in the fail message ...

   ``check`` appends its flags to ``row["quality_flags"]`` in place and returns the error flags
   (including upstream ``invalid_<field>`` ones). A batch path calls
   ``checker.check_many(rows)`` instead (rows in emit order, e.g. every node of one or more
   intervals): the same flags, return values and state as one ``check`` per row, at about
   half the cost per LMP row. Optional, for the "empty response" alert, in
   ``_part_records`` where ``first is None``::

       self._miso_tap.monitor.empty_response(self.name, spec.source, day)

Per-date collection time, completeness and sources-per-date need no further wiring: the
checker derives them from the records (market dates arrive in ascending order).
"""

from tap_miso.quality.completeness import CompletenessTracker, Gap
from tap_miso.quality.monitor import RunMonitor
from tap_miso.quality.outliers import OutlierDetector
from tap_miso.quality.rules import ERROR_FLAGS, WARNING_FLAGS, RuleSet, is_error
from tap_miso.quality.score import StreamQuality

QualityChecker = StreamQuality  # the name the integration brief used

__all__ = [
    "ERROR_FLAGS",
    "WARNING_FLAGS",
    "CompletenessTracker",
    "Gap",
    "OutlierDetector",
    "QualityChecker",
    "RuleSet",
    "RunMonitor",
    "StreamQuality",
    "is_error",
]
