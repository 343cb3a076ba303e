package client

import (
	"context"
	"time"

	v1 "github.com/nvidia/nvsentinel/api/gen/go/device/v1alpha1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// ProviderHeader is the gRPC metadata key a provider names itself with.
const ProviderHeader = "x-device-api-provider"

// WithProvider returns a context whose calls carry the provider identity.
func WithProvider(ctx context.Context, name string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, ProviderHeader, name)
}

// Provider registers a provider with a lease and keeps it alive with heartbeats.
type Provider struct {
	Client v1.ProviderServiceClient
	// Name is the provider's identity (1 to 63 characters of [a-z0-9._-]).
	Name string
	// Lease is how long the provider may stay silent (1s to 24h; 0: no lease, no heartbeats).
	Lease time.Duration
	// Registered is called after every (re-)registration: write your conditions there, since
	// a server that forgot the provider (restart) also lost what it wrote.
	Registered func(ctx context.Context) error
	Backoff    Backoff
	Clock      Clock
}

// Run registers, then heartbeats every third of the lease until ctx ends (returning nil). A
// heartbeat answered NOT_FOUND registers again, one that reports a new lease expiry calls
// Registered again; failures are retried with backoff.
func (p *Provider) Run(ctx context.Context) error {
	clock := p.Clock
	if clock == nil {
		clock = RealClock{}
	}
	ctx = WithProvider(ctx, p.Name)
	registered := false
	var expiries int64 // lease expiries the server counted when we last published
	for ctx.Err() == nil {
		var err error
		if !registered {
			var me *v1.Provider
			me, err = p.Client.RegisterProvider(ctx, &v1.RegisterProviderRequest{
				Name: p.Name, LeaseDuration: durationpb.New(p.Lease),
			})
			expiries = me.GetLeaseExpiries()
			if err == nil && p.Registered != nil {
				err = p.Registered(ctx)
			}
			registered = err == nil
		} else {
			var me *v1.Provider
			me, err = p.Client.Heartbeat(ctx, &v1.HeartbeatRequest{Name: p.Name})
			if status.Code(err) == codes.NotFound {
				registered = false
				continue
			}
			// The lease ran out since the last look: the server turned our conditions Unknown,
			// so write them again.
			if err == nil && me.GetLeaseExpiries() != expiries && p.Registered != nil {
				expiries = me.GetLeaseExpiries()
				err = p.Registered(ctx)
			}
		}
		wait := p.Lease / 3
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if !IsRetryable(err) {
				return err
			}
			wait = p.Backoff.Next()
		} else {
			p.Backoff.Reset()
			if p.Lease == 0 {
				<-ctx.Done()
				return nil
			}
		}
		if clock.Sleep(ctx, wait) != nil {
			return nil
		}
	}
	return nil
}

// Unregister forgets the provider (its conditions stay; remove them first if they should go).
func (p *Provider) Unregister(ctx context.Context, opts ...grpc.CallOption) error {
	_, err := p.Client.UnregisterProvider(WithProvider(ctx, p.Name), &v1.UnregisterProviderRequest{Name: p.Name}, opts...)
	return err
}
