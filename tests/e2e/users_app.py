"""An HTTP-ish service instrumented with the OpenTelemetry Python SDK, for
the OTTL end-to-end test: user lookups whose span names carry the user ID
(`GET /users/123`, `GET /users/456`), and health checks (`GET /healthz`,
with `http.route` set) that a filter should drop.

usage: users_app.py ENDPOINT USERS HEALTHCHECKS [route]

Sends USERS lookups (alternating users 123 and 456) and HEALTHCHECKS
health checks over OTLP/gRPC, then exits 0 once every span is exported.
With `route`, lookups also carry `http.route` = `/users/{id}`, as a web
framework's instrumentation sets it.
"""

import sys

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

endpoint, users, healthchecks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with_route = sys.argv[4:] == ["route"]

provider = TracerProvider(resource=Resource.create({"service.name": "users-api"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=True), schedule_delay_millis=100))
trace.set_tracer_provider(provider)
tracer = trace.get_tracer("users_app")

for i in range(max(users, healthchecks)):
    if i < users:
        user = 123 if i % 2 == 0 else 456
        with tracer.start_as_current_span(f"GET /users/{user}", kind=trace.SpanKind.SERVER) as span:
            span.set_attribute("http.request.method", "GET")
            span.set_attribute("url.path", f"/users/{user}")
            if with_route:
                span.set_attribute("http.route", "/users/{id}")
    if i < healthchecks:
        with tracer.start_as_current_span("GET /healthz", kind=trace.SpanKind.SERVER) as span:
            span.set_attribute("http.request.method", "GET")
            span.set_attribute("http.route", "/healthz")

ok = provider.force_flush(timeout_millis=60_000)
provider.shutdown()
sys.exit(0 if ok else 3)
