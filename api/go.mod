// The Device API as a standalone Go module: the generated messages and gRPC stubs of
// GpuService and ProviderService (gen/go/device/v1alpha1), and a small client package
// (client/) with the patterns every consumer and provider needs.
module github.com/nvidia/nvsentinel/api

go 1.19

require (
	google.golang.org/grpc v1.33.3
	google.golang.org/protobuf v1.28.1
)
