"""Sends spans with the OpenTelemetry Python SDK to a receiver that may
require basic auth, and says whether the SDK's exporter succeeded.

usage: auth_app.py PROTOCOL ENDPOINT SPANS [USER:PASSWORD]

Prints one line, "SUCCESS <spans>" or "FAILURE <spans>", from the SDK
exporter's own result: what an instrumented app would see.
"""

import base64
import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

protocol, endpoint, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
headers = {}
if len(sys.argv) > 4:
    headers["authorization"] = "Basic " + base64.b64encode(sys.argv[4].encode()).decode()

if protocol == "grpc":
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    otlp = OTLPSpanExporter(endpoint=endpoint, insecure=True, headers=tuple(headers.items()), timeout=5)
else:
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    otlp = OTLPSpanExporter(endpoint=endpoint, headers=headers, timeout=5)


class Outcome(SpanExporter):
    """Sends through the SDK's exporter and keeps its verdicts."""

    def __init__(self):
        self.results = []

    def export(self, spans):
        result = otlp.export(spans)
        self.results.append(result)
        return result

    def shutdown(self):
        otlp.shutdown()


outcome = Outcome()
provider = TracerProvider(resource=Resource.create({"service.name": "auth-app"}))
provider.add_span_processor(SimpleSpanProcessor(outcome))
tracer = provider.get_tracer("auth_app")
for i in range(count):
    with tracer.start_as_current_span(f"span-{i}"):
        pass
provider.shutdown()
ok = len(outcome.results) == count and all(r == SpanExportResult.SUCCESS for r in outcome.results)
print(("SUCCESS" if ok else "FAILURE") + f" {count}", flush=True)
