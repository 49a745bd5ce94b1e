"""An app on the OpenTelemetry Python SDK that sends spans when told to,
so one process can send many times while a test changes the cluster.

usage: client.py PROTOCOL ENDPOINT [SOURCE_IP]
PROTOCOL is grpc or http. With SOURCE_IP (http only), every connection is
made from that local address, as a pod with that IP would make it.
The resource comes from OTEL_RESOURCE_ATTRIBUTES, as in a pod.

Each stdin line `NAME COUNT` makes COUNT spans named NAME and exports
them in one call; the answer is one JSON line: the export's result and
the span ids, so the test knows exactly which spans the agent
acknowledged.
"""

import json
import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult

protocol, endpoint = sys.argv[1], sys.argv[2]
source_ip = sys.argv[3] if len(sys.argv) > 3 else None

if protocol == "grpc":
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    exporter = OTLPSpanExporter(endpoint=endpoint, insecure=True)
else:
    import requests
    from requests.adapters import HTTPAdapter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    class SourceAddressAdapter(HTTPAdapter):
        """Binds each connection's local end to `source_ip`."""

        def init_poolmanager(self, *args, **kwargs):
            kwargs["source_address"] = (source_ip, 0)
            super().init_poolmanager(*args, **kwargs)

    session = requests.Session()
    if source_ip is not None:
        session.mount("http://", SourceAddressAdapter())
    exporter = OTLPSpanExporter(endpoint=endpoint, session=session)


class Collect(SpanProcessor):
    """Keeps finished spans until the test asks for them to be sent."""

    def __init__(self):
        self.spans = []

    def on_end(self, span):
        self.spans.append(span)


collect = Collect()
provider = TracerProvider(resource=Resource.create({"service.name": "k8s-e2e"}))
provider.add_span_processor(collect)
tracer = provider.get_tracer("k8sattributes-e2e")

print("ready", flush=True)
for line in sys.stdin:
    name, count = line.split()
    for _ in range(int(count)):
        with tracer.start_as_current_span(name):
            pass
    spans, collect.spans = collect.spans, []
    result = exporter.export(spans)
    ids = [format(s.get_span_context().span_id, "016x") for s in spans]
    print(json.dumps({"ok": result == SpanExportResult.SUCCESS, "span_ids": ids}), flush=True)
