"""A gRPC OTLP trace sink standing in for Jaeger: records every span it
receives as a JSON line. Written with grpcio and the protobuf classes of
opentelemetry-proto, independently of Solder's own gRPC code.

usage: sink.py PORT RECORD_FILE FAIL_FIRST_N
The first FAIL_FIRST_N calls are answered UNAVAILABLE, as a Jaeger that is
restarting would.
"""

import json
import sys
from concurrent import futures

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc

port, record_path, fail_first = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
out = open(record_path, "w")
state = {"calls": 0}


def attr_value(v):
    kind = v.WhichOneof("value")
    if kind is None:
        return ""
    x = getattr(v, kind)
    return str(x) if kind != "bool_value" else ("True" if x else "False")


class Sink(trace_service_pb2_grpc.TraceServiceServicer):
    def Export(self, request, context):
        state["calls"] += 1
        if state["calls"] <= fail_first:
            context.abort(grpc.StatusCode.UNAVAILABLE, "sink is starting")
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
                    }) + "\n")
        out.flush()
        return trace_service_pb2.ExportTraceServiceResponse()


server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Sink(), server)
server.add_insecure_port(f"127.0.0.1:{port}")
server.start()
print("ready", flush=True)
server.wait_for_termination()
