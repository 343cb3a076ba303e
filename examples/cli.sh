#!/bin/sh
# The command line of device-api-server as a client (it reaches the server's socket,
# DEVICE_API_UNIX_SOCKET or --unix-socket, default /var/run/device-api/device.sock).
set -e
device-api-server create gpu gpu-0 --uuid GPU-3f2504e0-4f89-11d3-9a0c-0305e82c3301 --label zone=a
device-api-server set condition gpu-0 Ready False --reason XidCriticalError --message "XID 79"
device-api-server get gpus -o wide -l zone=a
device-api-server describe gpu gpu-0
device-api-server get gpu gpu-0 -o json
device-api-server get providers
device-api-server clear condition gpu-0 Ready
device-api-server delete gpu gpu-0
