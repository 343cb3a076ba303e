package client

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestParseEndpointAcceptsEachForm(t *testing.T) {
	cases := map[string]Endpoint{
		"unix:///var/run/device-api/device.sock": {Kind: "unix", Path: "/var/run/device-api/device.sock"},
		"unix:/tmp/d.sock":                       {Kind: "unix", Path: "/tmp/d.sock"},
		"unix:run/device.sock":                   {Kind: "unix", Path: "run/device.sock"},
		"127.0.0.1:50051":                        {Kind: "tcp", Host: "127.0.0.1", Port: 50051},
		"localhost:1":                            {Kind: "tcp", Host: "localhost", Port: 1},
		"[::1]:50051":                            {Kind: "tcp", Host: "::1", Port: 50051},
	}
	for text, want := range cases {
		got, err := ParseEndpoint(text)
		if err != nil || got != want {
			t.Errorf("ParseEndpoint(%q) = %+v, %v; want %+v", text, got, err, want)
		}
	}
	if got, _ := ParseEndpoint("unix:/tmp/d.sock"); got.String() != "unix:///tmp/d.sock" {
		t.Errorf("String() = %q", got.String())
	}
	if got, _ := ParseEndpoint("[::1]:7"); got.String() != "[::1]:7" {
		t.Errorf("String() = %q", got.String())
	}
}

func TestParseEndpointRejectsMalformedValues(t *testing.T) {
	cases := map[string]string{
		"":                                    "empty",
		"unix:":                               "no socket path",
		"unix://host/x":                       "not a host",
		"unix:///dir/":                        "directory",
		"http://127.0.0.1:80":                 "unsupported scheme",
		"127.0.0.1":                           "no port",
		":50051":                              "no host",
		"::1:50051":                           "brackets",
		"[127.0.0.1]:1":                       "not an IPv6 address",
		"bad_host:1":                          "neither",
		"127.0.0.1:0":                         "port",
		"127.0.0.1:65536":                     "port",
		"127.0.0.1:+80":                       "port",
		"unix:///" + strings.Repeat("x", 120): "longer than 107 bytes",
	}
	for text, why := range cases {
		_, err := ParseEndpoint(text)
		if err == nil || !strings.Contains(err.Error(), why) || !strings.HasPrefix(err.Error(), "invalid endpoint ") {
			t.Errorf("ParseEndpoint(%q) error = %v; want one containing %q", text, err, why)
		}
	}
}

func TestEndpointFromEnvFallsBackWhenUnsetOrEmpty(t *testing.T) {
	env := func(v string, set bool) func(string) (string, bool) {
		return func(name string) (string, bool) {
			if name != EndpointEnv {
				return "", false
			}
			return v, set
		}
	}
	if e, _ := EndpointFromEnv(env("", false), ""); e.String() != DefaultEndpoint {
		t.Errorf("unset: %v", e)
	}
	if e, _ := EndpointFromEnv(env("", true), "127.0.0.1:9"); e.String() != "127.0.0.1:9" {
		t.Errorf("empty: %v", e)
	}
	if _, err := EndpointFromEnv(env("nope", true), ""); err == nil || !strings.HasPrefix(err.Error(), "DEVICE_API_ENDPOINT: ") {
		t.Errorf("malformed: %v", err)
	}
}

func TestBackoffDoublesUpToTheCapWithJitter(t *testing.T) {
	b := Backoff{Policy: BackoffPolicy{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 2, Jitter: 0.5}, Random: func() float64 { return 0 }}
	var got []time.Duration
	for i := 0; i < 6; i++ {
		got = append(got, b.Next())
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("delays = %v", got)
		}
	}
	b.Reset()
	b.Random = func() float64 { return 0.5 }
	if d := b.Next(); d != 75*time.Millisecond {
		t.Errorf("jittered first delay = %v, want 75ms", d)
	}
}

func TestIsRetryableRefusesCodesARetryCannotHeal(t *testing.T) {
	for _, c := range []codes.Code{codes.Unauthenticated, codes.PermissionDenied, codes.InvalidArgument, codes.Unimplemented, codes.OutOfRange} {
		if IsRetryable(status.Error(c, "x")) {
			t.Errorf("%v is retried", c)
		}
	}
	for _, c := range []codes.Code{codes.Unavailable, codes.ResourceExhausted, codes.Internal, codes.Canceled} {
		if !IsRetryable(status.Error(c, "x")) {
			t.Errorf("%v is not retried", c)
		}
	}
}

func TestRealClockSleepEndsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (RealClock{}).Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep = %v", err)
	}
}
