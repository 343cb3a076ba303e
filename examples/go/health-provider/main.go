// Command health-provider is a minimal health provider in Go: it registers with a lease, sets
// its own condition on every GPU (leaving other providers' conditions alone), heartbeats within
// the lease, registers and publishes again when the server forgot it (a restart), and
// unregisters on SIGTERM.
//
// The endpoint comes from DEVICE_API_ENDPOINT (default unix:///var/run/device-api/device.sock);
// the lease from LEASE (a Go duration, default 15s).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nvidia/nvsentinel/api/client"
	v1 "github.com/nvidia/nvsentinel/api/gen/go/device/v1alpha1"
)

// condition is the type this provider owns.
const condition = "ExampleGoHealthy"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	lease := 15 * time.Second
	if v := os.Getenv("LEASE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintln(os.Stderr, "LEASE:", err)
			os.Exit(2)
		}
		lease = d
	}
	conn, err := client.DialFromEnv(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer conn.Close()
	gpus := v1.NewGpuServiceClient(conn)
	providers := v1.NewProviderServiceClient(conn)
	p := &client.Provider{
		Client: providers,
		Name:   "example-go-monitor",
		Lease:  lease,
		// After every registration: the server may have restarted, so publish everything again.
		Registered: func(ctx context.Context) error {
			fmt.Println("registered")
			list, err := gpus.ListGpus(ctx, &v1.ListGpusRequest{Opts: &v1.ListOptions{}})
			if err != nil {
				return err
			}
			for _, g := range list.GetGpuList().GetItems() {
				// A real provider would probe the hardware here.
				_, err := providers.SetConditions(ctx, &v1.SetConditionsRequest{
					Name:      g.GetMetadata().GetName(),
					Namespace: g.GetMetadata().GetNamespace(),
					Conditions: []*v1.Condition{{
						Type: condition, Status: "True", Reason: "ChecksPassed",
					}},
				})
				if err != nil {
					return err
				}
			}
			fmt.Printf("published %d GPUs\n", len(list.GetGpuList().GetItems()))
			return nil
		},
		Backoff: client.Backoff{Policy: client.BackoffPolicy{Initial: 100 * time.Millisecond, Max: 2 * time.Second}},
	}
	if err := p.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "health-provider:", err)
		os.Exit(1)
	}
	// Leave the server tidy: forget the lease (the conditions stay, as the protocol says).
	bye, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Unregister(bye); err != nil {
		fmt.Fprintln(os.Stderr, "unregister:", err)
	}
	fmt.Println("unregistered")
}
