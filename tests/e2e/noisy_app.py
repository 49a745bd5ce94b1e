"""A service that logs and counts through the OpenTelemetry Python SDK, for
the filter's end-to-end test of logs and metrics: its log lines go through
Python's `logging` (the SDK's LoggingHandler), its metrics through a meter.

usage: noisy_app.py ENDPOINT ORDERS

Logs ORDERS `order N paid` lines at INFO, as many `cache miss N` lines at
DEBUG and ORDERS // 2 `GET /health 200` access lines at INFO; counts the
orders in `orders.paid` (two points: by card and by cash) beside two
runtime metrics, `process.cpu.time` and `process.memory.usage` (one point
each). Everything is exported over OTLP/gRPC once (the providers are not
shut down at exit, which would export the metrics a second time), and the
app exits 0 when the exports succeeded.
"""

import logging
import sys

from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

endpoint, orders = sys.argv[1], int(sys.argv[2])
resource = Resource.create({"service.name": "orders"})

logs = LoggerProvider(resource=resource, shutdown_on_exit=False)
logs.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=endpoint, insecure=True), schedule_delay_millis=100))
log = logging.getLogger("orders")
log.setLevel(logging.DEBUG)
log.addHandler(LoggingHandler(level=logging.DEBUG, logger_provider=logs))

# A reader that exports only when flushed: one export of every metric.
reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=endpoint, insecure=True), export_interval_millis=3_600_000)
meters = MeterProvider(resource=resource, metric_readers=[reader], shutdown_on_exit=False)
meter = meters.get_meter("orders")
paid = meter.create_counter("orders.paid")
cpu = meter.create_counter("process.cpu.time", unit="s")
memory = meter.create_up_down_counter("process.memory.usage", unit="By")

for i in range(orders):
    log.info("order %d paid", i)
    log.debug("cache miss %d", i)
    if i % 2 == 0:
        log.info("GET /health 200")
    paid.add(1, {"method": "card" if i % 3 else "cash"})
cpu.add(0.25)
memory.add(48_000_000)

ok = logs.force_flush(timeout_millis=60_000) and meters.force_flush(timeout_millis=60_000)
sys.exit(0 if ok else 3)
