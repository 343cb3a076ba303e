"""An example consumer in Python (grpcio): lists the GPUs, then watches from the list's version
with bookmarks and prints every change. It reads DEVICE_API_ENDPOINT (default
unix:///var/run/device-api/device.sock); grpcio accepts unix:///abs, unix:rel and host:port as
they are.

Generate the stubs first, then run it:

python3 -m grpc_tools.protoc -Iproto -I/usr/lib/python3/dist-packages/grpc_tools/_proto --python_out=stubs --grpc_python_out=stubs proto/device/v1alpha1/gpu.proto
PYTHONPATH=stubs python3 examples/python/consumer.py
"""
import os

import grpc
from device.v1alpha1 import gpu_pb2, gpu_pb2_grpc

endpoint = os.environ.get("DEVICE_API_ENDPOINT") or "unix:///var/run/device-api/device.sock"
stub = gpu_pb2_grpc.GpuServiceStub(grpc.insecure_channel(endpoint))

listed = stub.ListGpus(gpu_pb2.ListGpusRequest(opts=gpu_pb2.ListOptions()))
version = listed.gpu_list.metadata.resource_version
for gpu in listed.gpu_list.items:
    print("LISTED", gpu.metadata.name, flush=True)
print("synced at", version, flush=True)

opts = gpu_pb2.ListOptions(resource_version=version, allow_watch_bookmarks=True)
for event in stub.WatchGpus(gpu_pb2.WatchGpusRequest(opts=opts)):
    version = event.object.metadata.resource_version  # resume from here after a break
    if event.type != "BOOKMARK":
        print(event.type, event.object.metadata.name, flush=True)
