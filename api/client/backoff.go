package client

import (
	"context"
	"math"
	"math/rand"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Clock waits; injectable so that tests control time.
type Clock interface {
	// Sleep returns after d, or early (with ctx.Err()) when ctx ends.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock waits on a timer.
type RealClock struct{}

// Sleep waits for d or until ctx ends.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// BackoffPolicy is exponential backoff with jitter and a cap.
type BackoffPolicy struct {
	// Initial is the first delay (default 250ms).
	Initial time.Duration
	// Max caps every delay (default 30s).
	Max time.Duration
	// Multiplier grows the delay per consecutive failure (default 2).
	Multiplier float64
	// Jitter is the fraction of each delay taken off at random, 0 to 1 (default 0.5).
	Jitter float64
}

// DefaultBackoff is the policy used when none is given.
var DefaultBackoff = BackoffPolicy{Initial: 250 * time.Millisecond, Max: 30 * time.Second, Multiplier: 2, Jitter: 0.5}

// Backoff counts consecutive failures and yields the next delay.
type Backoff struct {
	Policy BackoffPolicy
	// Random returns uniform numbers in [0, 1) (default math/rand).
	Random  func() float64
	attempt int
}

// Next returns the delay before the next retry and counts one more failure.
func (b *Backoff) Next() time.Duration {
	p := b.Policy
	if p.Initial <= 0 {
		p.Initial = DefaultBackoff.Initial
	}
	if p.Max < p.Initial {
		p.Max = DefaultBackoff.Max
		if p.Max < p.Initial {
			p.Max = p.Initial
		}
	}
	if p.Multiplier < 1 {
		p.Multiplier = DefaultBackoff.Multiplier
	}
	if p.Jitter < 0 || p.Jitter > 1 {
		p.Jitter = DefaultBackoff.Jitter
	}
	base := math.Min(float64(p.Max), float64(p.Initial)*math.Pow(p.Multiplier, float64(b.attempt)))
	if base < float64(p.Max) {
		b.attempt++ // stop growing once capped
	}
	random := b.Random
	if random == nil {
		random = rand.Float64
	}
	return time.Duration(math.Round(base * (1 - p.Jitter*random())))
}

// Reset starts over after a success.
func (b *Backoff) Reset() { b.attempt = 0 }

// IsRetryable reports whether an error is worth retrying: not UNAUTHENTICATED,
// PERMISSION_DENIED, INVALID_ARGUMENT, UNIMPLEMENTED, FAILED_PRECONDITION, nor OUT_OF_RANGE
// (which asks for a re-list instead).
func IsRetryable(err error) bool {
	switch status.Code(err) {
	case codes.Unauthenticated, codes.PermissionDenied, codes.InvalidArgument, codes.Unimplemented,
		codes.FailedPrecondition, codes.OutOfRange:
		return false
	}
	return true
}
