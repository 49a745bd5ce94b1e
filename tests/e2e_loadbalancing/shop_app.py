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

The test steers a running app through files next to RECORD_FILE:
- RECORD_FILE.avoid, JSON {"ring": [endpoints], "avoid": endpoint}: from
  now on make only trace IDs that the Collector's ring over "ring" does not
  give to "avoid"; once every span made so far is acknowledged, the app
  writes RECORD_FILE.avoiding. New traces keep flowing meanwhile.
- RECORD_FILE.resume: random trace IDs again.
- RECORD_FILE.stop: stop making traces (else it stops after TRACES).
"""

import json
import os
import sys
import threading
import time
import zlib

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
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


class Ring:
    """The Collector's consistent-hash ring (crc32 IEEE, 100 points per
    endpoint, 36000 positions), to know where the agent routes a trace."""

    def __init__(self, endpoints):
        taken, items = set(), []
        for e in sorted(set(endpoints)):
            for i in range(100):
                pos = zlib.crc32(e.encode() + bytes([i])) % 36000
                if pos not in taken:
                    taken.add(pos)
                    items.append((pos, e))
        self.items = sorted(items)

    def owner(self, key):
        pos = zlib.crc32(key) % 36000
        for p, e in self.items:
            if p >= pos:
                return e
        return self.items[0][1]


class SteeredIds(RandomIdGenerator):
    """Random trace IDs, or, while told to, only those a ring does not give
    to one endpoint. Only the root span's provider makes trace IDs."""

    avoid = None

    def generate_trace_id(self):
        while True:
            trace_id = super().generate_trace_id()
            steer = SteeredIds.avoid
            if steer is None or steer[0].owner(trace_id.to_bytes(16, "big")) != steer[1]:
                return trace_id


SERVICES = ["frontend", "checkout", "payment", "inventory", "search"]
providers = {}
tracers = {}
for name in SERVICES:
    provider = TracerProvider(resource=Resource.create({"service.name": name, "service.namespace": "shop"}), id_generator=SteeredIds())
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


def steer():
    """Follows the test's control files; True when told to stop."""
    if SteeredIds.avoid is None and not os.path.exists(record_path + ".resume") and os.path.exists(record_path + ".avoid"):
        with open(record_path + ".avoid") as f:
            told = json.load(f)
        SteeredIds.avoid = (Ring(told["ring"]), told["avoid"])
        ok = all(p.force_flush(timeout_millis=60_000) for p in providers.values())
        with open(record_path + ".avoiding", "w") as f:
            f.write(json.dumps({"flushed": ok}) + "\n")
    if SteeredIds.avoid is not None and os.path.exists(record_path + ".resume"):
        SteeredIds.avoid = None
    return os.path.exists(record_path + ".stop")


start = time.monotonic()
for i in range(traces):
    if i % 10 == 0 and steer():
        break
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
