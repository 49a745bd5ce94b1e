"""Seed 002's app, instrumented with the OpenTelemetry Python SDK.

foo() calls goo() and zoo(); goo() fails every 5th call. Spans go to
Solder over OTLP (gRPC or HTTP/protobuf, by argument), and every finished
span is also written to a JSON-lines file so the test can check that the
sink received each one exactly once, intact.

usage: seed_app.py PROTOCOL ENDPOINT RECORD_FILE ITERATIONS
"""

import json
import sys

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult

protocol, endpoint, record_path, iterations = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

if protocol == "grpc":
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    otlp = OTLPSpanExporter(endpoint=endpoint, insecure=True)
else:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    otlp = OTLPSpanExporter(endpoint=endpoint)


class Recorder(SpanExporter):
    """Writes what the app produced, to compare with what the sink got."""

    def __init__(self, path):
        self.out = open(path, "w")

    def export(self, spans):
        for s in spans:
            ctx = s.get_span_context()
            parent = s.parent.span_id if s.parent else 0
            self.out.write(json.dumps({
                "trace_id": format(ctx.trace_id, "032x"),
                "span_id": format(ctx.span_id, "016x"),
                "parent_span_id": format(parent, "016x") if parent else "",
                "name": s.name,
                "attributes": {k: str(v) for k, v in (s.attributes or {}).items()},
                "status": s.status.status_code.name,
            }) + "\n")
        self.out.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self):
        self.out.close()


resource = Resource.create({"service.name": "seed-app", "service.namespace": "solder-e2e"})
provider = TracerProvider(resource=resource)
provider.add_span_processor(BatchSpanProcessor(otlp, schedule_delay_millis=100))
provider.add_span_processor(SimpleSpanProcessor(Recorder(record_path)))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("seed_app")

calls = {"goo": 0}


def zoo():
    with tracer.start_as_current_span("zoo") as span:
        span.set_attribute("zoo.weight", 3)


def goo():
    with tracer.start_as_current_span("goo") as span:
        calls["goo"] += 1
        span.set_attribute("goo.call", calls["goo"])
        if calls["goo"] % 5 == 0:
            raise Exception("Error in goo: Simulated exception.")


def foo():
    with tracer.start_as_current_span("foo", kind=trace.SpanKind.SERVER) as span:
        span.set_attribute("http.method", "GET")
        span.set_attribute("http.route", "/foo")
        try:
            goo()
        except Exception as e:
            span.set_attribute("error.message", str(e))
        zoo()


for _ in range(iterations):
    foo()

# Blocks until every span is exported; exits non-zero if any export failed.
ok = provider.force_flush(timeout_millis=60_000)
provider.shutdown()
sys.exit(0 if ok else 3)
