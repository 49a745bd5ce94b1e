"""A service that times its requests in milliseconds through the
OpenTelemetry Python SDK, for the transform's end-to-end test of the metric
functions.

usage: latency_app.py ENDPOINT

Records `http.server.request.duration` (a histogram, unit `ms`, the SDK's
default buckets) for four requests: GET /users/1 in 20 and 22 ms, GET
/users/2 in 40 ms, POST /orders in 300 ms, each with `http.route` and
`http.request.method`; and counts `process.cpu.time` (a monotonic sum, unit
`s`) at 0.5. Everything is exported over OTLP/gRPC once (the provider is
not shut down at exit, which would export a second time), and the app exits
0 when the export succeeded.
"""

import sys

from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

endpoint = sys.argv[1]
reader = PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=endpoint, insecure=True), export_interval_millis=3_600_000)
meters = MeterProvider(resource=Resource.create({"service.name": "shop"}), metric_readers=[reader], shutdown_on_exit=False)
meter = meters.get_meter("shop")
duration = meter.create_histogram("http.server.request.duration", unit="ms")
cpu = meter.create_counter("process.cpu.time", unit="s")

for route, method, ms in [("/users/{id}", "GET", 20), ("/users/{id}", "GET", 22), ("/users/{id}/orders", "GET", 40), ("/orders", "POST", 300)]:
    duration.record(ms, {"http.route": route, "http.request.method": method})
cpu.add(0.5)

sys.exit(0 if meters.force_flush(timeout_millis=60_000) else 3)
