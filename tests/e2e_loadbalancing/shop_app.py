"""A small shop of five services, each instrumented with the OpenTelemetry
Python SDK under a TracerProvider (and so a resource and an OTLP exporter)
of its own, the way five separate processes would be. Calls between them
carry the trace context in-process, so one trace spans several services:
each call is a CLIENT span in the caller and a SERVER span in the callee,
which is what a service graph is drawn from.

The spans of one trace therefore leave in up to five export requests, from
five exporters, at different times: only routing by trace ID brings them
together again on one gateway.

Every span of an export the agent acknowledged is written to RECORD_FILE
(one JSON line each, with its service and kind); a span whose export
failed is counted in RECORD_FILE.failed instead, so the test knows exactly
what was acknowledged.

usage: shop_app.py ENDPOINT RECORD_FILE TRACES RATE
RATE is traces per second; 0 sends as fast as the SDK makes them.
"""

import json
import sys
import threading
import time

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode

endpoint, record_path, traces, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])

lock = threading.Lock()
record = open(record_path, "w")
failed = {"spans": 0}


class Acknowledged(SpanExporter):
    """Sends to the agent; records a batch only once the agent took it."""

    def __init__(self, service):
        self.service = service
        self.otlp = OTLPSpanExporter(endpoint=endpoint, insecure=True, timeout=30)

    def export(self, spans):
        result = self.otlp.export(spans)
        with lock:
            if result != SpanExportResult.SUCCESS:
                failed["spans"] += len(spans)
                return result
            for s in spans:
                ctx = s.get_span_context()
                record.write(json.dumps({
                    "trace_id": format(ctx.trace_id, "032x"),
                    "span_id": format(ctx.span_id, "016x"),
                    "parent_span_id": format(s.parent.span_id, "016x") if s.parent else "",
                    "name": s.name,
                    "kind": s.kind.name,
                    "service": self.service,
                    "status": s.status.status_code.name,
                }) + "\n")
            record.flush()
        return result

    def shutdown(self):
        self.otlp.shutdown()


SERVICES = ["frontend", "checkout", "payment", "inventory", "search"]
providers = {}
tracers = {}
for name in SERVICES:
    provider = TracerProvider(resource=Resource.create({"service.name": name, "service.namespace": "shop"}))
    # A queue deep enough that the SDK never drops a span of its own accord.
    provider.add_span_processor(BatchSpanProcessor(Acknowledged(name), max_queue_size=200_000, max_export_batch_size=512, schedule_delay_millis=100))
    providers[name] = provider
    tracers[name] = provider.get_tracer("shop")


def call(caller, callee, operation, fail=False):
    """A call from one service to another: CLIENT in the caller, SERVER in the callee."""
    with tracers[caller].start_as_current_span(f"call {callee}", kind=SpanKind.CLIENT) as client:
        with tracers[callee].start_as_current_span(operation, kind=SpanKind.SERVER) as server:
            if fail:
                server.set_status(Status(StatusCode.ERROR, "declined"))
                client.set_status(Status(StatusCode.ERROR, "declined"))
            for next_callee, next_operation in DOWNSTREAM.get((callee, operation), []):
                call(callee, next_callee, next_operation)


# Who a service calls while it serves an operation.
DOWNSTREAM = {
    ("checkout", "POST /checkout"): [("payment", "charge"), ("inventory", "reserve")],
    ("search", "GET /search"): [("inventory", "lookup")],
}


def request(i):
    """One trace: a request to the frontend, four shapes in turn."""
    shape = i % 4
    with tracers["frontend"].start_as_current_span("GET /", kind=SpanKind.SERVER):
        if shape == 0:
            call("frontend", "checkout", "POST /checkout")
        elif shape == 1:
            call("frontend", "search", "GET /search")
        elif shape == 2:
            # Checkout whose payment every 7th time is declined: a failed edge.
            with tracers["frontend"].start_as_current_span("call checkout", kind=SpanKind.CLIENT):
                with tracers["checkout"].start_as_current_span("POST /checkout/express", kind=SpanKind.SERVER):
                    call("checkout", "payment", "charge", fail=(i % 7 == 2))
        else:
            call("frontend", "search", "GET /search/suggest")


start = time.monotonic()
for i in range(traces):
    if rate > 0:
        due = start + i / rate
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    request(i)

# Blocks until every span is exported (or its export has failed).
ok = all(p.force_flush(timeout_millis=120_000) for p in providers.values())
for p in providers.values():
    p.shutdown()
with open(record_path + ".failed", "w") as f:
    f.write(json.dumps({"spans": failed["spans"], "flushed": ok}) + "\n")
sys.exit(0 if ok and failed["spans"] == 0 else 3)
