package client

import (
	"context"
	"testing"
	"time"

	v1 "github.com/nvidia/nvsentinel/api/gen/go/device/v1alpha1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakeClock records each wait and returns at once (or ctx's error once it ended).
type fakeClock struct{ waits []time.Duration }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.waits = append(c.waits, d)
	return ctx.Err()
}

// failingLister answers ListGpus with the given errors in turn. The retry policy is pure logic;
// the tests under tests/consumers run the Reflector against the real server.
type failingLister struct {
	v1.GpuServiceClient
	errs  []error
	calls int
}

func (f *failingLister) ListGpus(ctx context.Context, in *v1.ListGpusRequest, _ ...grpc.CallOption) (*v1.ListGpusResponse, error) {
	err := f.errs[f.calls]
	f.calls++
	return nil, err
}

type nopHandler struct{}

func (nopHandler) Replace([]*v1.Gpu, string) {}
func (nopHandler) Event(string, *v1.Gpu)     {}

func TestReflectorBacksOffAndStopsOnACodeARetryCannotHeal(t *testing.T) {
	unavailable := status.Error(codes.Unavailable, "down")
	lister := &failingLister{errs: []error{unavailable, unavailable, unavailable, status.Error(codes.PermissionDenied, "no")}}
	clock := &fakeClock{}
	r := &Reflector{
		Client:  lister,
		Clock:   clock,
		Backoff: Backoff{Policy: BackoffPolicy{Initial: 100 * time.Millisecond, Max: 300 * time.Millisecond, Multiplier: 2}, Random: func() float64 { return 0 }},
	}
	err := r.Run(context.Background(), nopHandler{})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("Run = %v, want PermissionDenied", err)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	if len(clock.waits) != len(want) {
		t.Fatalf("waits = %v, want %v", clock.waits, want)
	}
	for i := range want {
		if clock.waits[i] != want[i] {
			t.Fatalf("waits = %v, want %v", clock.waits, want)
		}
	}
}

func TestReflectorReturnsNilWhenTheContextEndsDuringAWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	unavailable := status.Error(codes.Unavailable, "down")
	lister := &failingLister{errs: []error{unavailable, unavailable}}
	clock := &fakeClock{}
	r := &Reflector{Client: lister, Clock: clockFunc(func(c context.Context, d time.Duration) error {
		cancel()
		return clock.Sleep(c, d)
	})}
	if err := r.Run(ctx, nopHandler{}); err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if lister.calls != 1 {
		t.Errorf("ListGpus called %d times after the cancel", lister.calls)
	}
}

type clockFunc func(context.Context, time.Duration) error

func (f clockFunc) Sleep(ctx context.Context, d time.Duration) error { return f(ctx, d) }
