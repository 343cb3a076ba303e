module github.com/nvidia/nvsentinel/examples/go/device-plugin

go 1.19

require github.com/nvidia/nvsentinel/api v0.0.0

replace github.com/nvidia/nvsentinel/api => ../../../api
