"""Drives the Device API through Python's C-core gRPC stack (Debian python3-grpcio).

Usage: python_client.py STUB_DIR TARGET
Prints one JSON object per check; exits non-zero on the first failure.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
import grpc  # noqa: E402
from device.v1alpha1 import gpu_pb2, gpu_pb2_grpc  # noqa: E402

target = sys.argv[2]
channel = grpc.insecure_channel(target)
stub = gpu_pb2_grpc.GpuServiceStub(channel)
md = [("x-device-api-provider", "python-provider")]


def report(check, **fields):
    print(json.dumps({"check": check, **fields}), flush=True)


created = stub.CreateGpu(
    gpu_pb2.CreateGpuRequest(
        gpu=gpu_pb2.Gpu(
            metadata=gpu_pb2.ObjectMeta(name="py-gpu-0", labels={"lang": "python"}),
            spec=gpu_pb2.GpuSpec(uuid="GPU-11111111-2222-3333-4444-555555555555", product_name="Python GPU"),
        )
    ),
    metadata=md,
)
assert created.created, created
assert created.gpu.resource_version == int(created.gpu.metadata.resource_version)
report("create", name=created.gpu.metadata.name, rv=created.gpu.resource_version)

got = stub.GetGpu(gpu_pb2.GetGpuRequest(name="py-gpu-0"))
assert got.spec.uuid == "GPU-11111111-2222-3333-4444-555555555555"
assert got.spec.product_name == "Python GPU"
assert dict(got.metadata.labels) == {"lang": "python"}
report("get", uuid=got.spec.uuid)

watch = stub.WatchGpus(gpu_pb2.WatchGpusRequest(opts=gpu_pb2.ListOptions()))
first = next(watch)
assert first.type == "ADDED" and first.object.metadata.name == "py-gpu-0", first
report("watch-initial", type=first.type)

status = gpu_pb2.GpuStatus(
    conditions=[gpu_pb2.Condition(type="Ready", status="False", reason="XidCriticalError", message="XID 79")]
)
updated = stub.UpdateGpuStatus(
    gpu_pb2.UpdateGpuStatusRequest(name="py-gpu-0", status=status, resource_version=got.resource_version),
    metadata=md,
)
assert updated.status.conditions[0].owner == "python-provider"
assert updated.status.conditions[0].last_transition_time.seconds > 0
report("update-status", rv=updated.resource_version)

event = next(watch)
assert event.type == "MODIFIED" and event.object.status.conditions[0].status == "False", event
report("watch-live", type=event.type, rv=event.object.resource_version)
watch.cancel()

listed = stub.ListGpus(gpu_pb2.ListGpusRequest(opts=gpu_pb2.ListOptions()))
assert [g.metadata.name for g in listed.gpu_list.items] == ["py-gpu-0"]
assert int(listed.gpu_list.metadata.resource_version) == updated.resource_version
report("list", count=len(listed.gpu_list.items))

try:
    stub.UpdateGpuStatus(
        gpu_pb2.UpdateGpuStatusRequest(name="py-gpu-0", status=status, resource_version=1), metadata=md
    )
    raise AssertionError("stale resource_version accepted")
except grpc.RpcError as err:
    assert err.code() == grpc.StatusCode.ABORTED, err
    report("conflict", code=err.code().name)

try:
    stub.GetGpu(gpu_pb2.GetGpuRequest(name="missing"))
    raise AssertionError("missing GPU found")
except grpc.RpcError as err:
    assert err.code() == grpc.StatusCode.NOT_FOUND, err
    report("not-found", code=err.code().name)

report("done")
