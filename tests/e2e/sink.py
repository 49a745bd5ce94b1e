"""An OTLP trace sink standing in for Jaeger (gRPC) or Tempo (OTLP/HTTP):
records every span it receives as a JSON line. Over gRPC it also takes
logs and metrics, as a collector would: each log record is a line in
RECORD_FILE.logs, each metric (with its number of points) one in
RECORD_FILE.metrics. Written with grpcio, the
standard library's HTTP server and the protobuf classes of
opentelemetry-proto, independently of Solder's own OTLP code.

usage: sink.py PORT RECORD_FILE FAIL_FIRST_N [HTTP_PORT]
The first FAIL_FIRST_N gRPC calls are answered UNAVAILABLE, as a Jaeger
that is restarting would; each refusal is a line in RECORD_FILE.refused. With HTTP_PORT, OTLP/HTTP protobuf is also
taken on POST /v1/traces.
"""

import gzip
import json
import os
import sys
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

port, record_path, fail_first = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
# With SINK_REQUIRE_AUTHORIZATION set, a gRPC call must carry exactly that
# `authorization` metadata, as a gateway that checks tokens would; other
# calls are answered UNAUTHENTICATED and recorded in RECORD_FILE.unauthenticated.
required_authorization = os.environ.get("SINK_REQUIRE_AUTHORIZATION")
http_port = int(sys.argv[4]) if len(sys.argv) > 4 else None
out = open(record_path, "w")
logs_out = open(record_path + ".logs", "w")
metrics_out = open(record_path + ".metrics", "w")
refused = open(record_path + ".refused", "w")
state = {"calls": 0}
lock = threading.Lock()


def attr_value(v):
    kind = v.WhichOneof("value")
    if kind is None:
        return ""
    x = getattr(v, kind)
    return str(x) if kind != "bool_value" else ("True" if x else "False")


class Sink(trace_service_pb2_grpc.TraceServiceServicer):
    def Export(self, request, context):
        if required_authorization is not None:
            given = dict(context.invocation_metadata()).get("authorization")
            if given != required_authorization:
                with lock:
                    with open(record_path + ".unauthenticated", "a") as f:
                        f.write(json.dumps({"authorization": given is not None}) + "\n")
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong authorization")
        with lock:
            state["calls"] += 1
            refuse = state["calls"] <= fail_first
            if refuse:
                refused.write(json.dumps({"call": state["calls"], "spans": sum(len(ss.spans) for rs in request.resource_spans for ss in rs.scope_spans)}) + "\n")
                refused.flush()
        if refuse:
            context.abort(grpc.StatusCode.UNAVAILABLE, "sink is starting")
        record(request)
        return trace_service_pb2.ExportTraceServiceResponse()


class LogsSink(logs_service_pb2_grpc.LogsServiceServicer):
    def Export(self, request, context):
        with lock:
            for rl in request.resource_logs:
                for sl in rl.scope_logs:
                    for r in sl.log_records:
                        line = {
                            "body": attr_value(r.body),
                            "severity": r.severity_number,
                            "severity_text": r.severity_text,
                            "attributes": {kv.key: attr_value(kv.value) for kv in r.attributes},
                            "event_name": r.event_name,
                            "trace_id": r.trace_id.hex(),
                        }
                        logs_out.write(json.dumps(line) + "\n")
            logs_out.flush()
        return logs_service_pb2.ExportLogsServiceResponse()


class MetricsSink(metrics_service_pb2_grpc.MetricsServiceServicer):
    def Export(self, request, context):
        with lock:
            for rm in request.resource_metrics:
                for sm in rm.scope_metrics:
                    for m in sm.metrics:
                        kind = m.WhichOneof("data")
                        points = len(getattr(m, kind).data_points) if kind else 0
                        metrics_out.write(json.dumps({"name": m.name, "points": points}) + "\n")
            metrics_out.flush()
        return metrics_service_pb2.ExportMetricsServiceResponse()


class HttpSink(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/v1/traces" or self.headers.get("Content-Type") != "application/x-protobuf":
            self.send_response(404 if self.path != "/v1/traces" else 415)
            self.end_headers()
            return
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = trace_service_pb2.ExportTraceServiceRequest()
        request.ParseFromString(body)
        record(request)
        reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def record(request):
    with lock:
        for rs in request.resource_spans:
            resource = {kv.key: attr_value(kv.value) for kv in rs.resource.attributes}
            for ss in rs.scope_spans:
                for s in ss.spans:
                    out.write(json.dumps({
                        "trace_id": s.trace_id.hex(),
                        "span_id": s.span_id.hex(),
                        "parent_span_id": s.parent_span_id.hex(),
                        "name": s.name,
                        "attributes": {kv.key: attr_value(kv.value) for kv in s.attributes},
                        "status": {0: "UNSET", 1: "OK", 2: "ERROR"}[s.status.code],
                        "service": resource.get("service.name", ""),
                        "resource": resource,
                    }) + "\n")
        out.flush()


server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Sink(), server)
logs_service_pb2_grpc.add_LogsServiceServicer_to_server(LogsSink(), server)
metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(MetricsSink(), server)
server.add_insecure_port(f"127.0.0.1:{port}")
server.start()
if http_port is not None:
    http = ThreadingHTTPServer(("127.0.0.1", http_port), HttpSink)
    threading.Thread(target=http.serve_forever, daemon=True).start()
print("ready", flush=True)
server.wait_for_termination()
