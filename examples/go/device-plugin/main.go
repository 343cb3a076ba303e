// Command device-plugin is what a Kubernetes device plugin does with the Device API: it lists
// the node's GPUs, watches them (with bookmarks), keeps a health map, and prints every health
// transition. It survives a server restart: it resumes the watch from the last version it saw,
// or lists again when the server answers OUT_OF_RANGE.
//
// The endpoint comes from DEVICE_API_ENDPOINT (default unix:///var/run/device-api/device.sock).
// A real plugin would report the healthy set to the kubelet (ListAndWatch) where this prints.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/nvidia/nvsentinel/api/client"
	v1 "github.com/nvidia/nvsentinel/api/gen/go/device/v1alpha1"
)

// healthMap is the plugin's view: GPU key -> healthy, and why not.
type healthMap struct {
	health map[string]string // "" when healthy, otherwise the reason
}

// healthOf decides a GPU's health the way a device plugin would: every condition of the
// built-in set must be as expected; a condition the plugin does not know is ignored.
func healthOf(g *v1.Gpu) string {
	for _, c := range g.GetStatus().GetConditions() {
		bad := false
		switch c.GetType() {
		case "Ready", "NVMLReady":
			bad = c.GetStatus() != "True"
		default:
			// Fault conditions (XidCriticalError, ...) are bad when True.
			bad = strings.HasSuffix(c.GetType(), "Error") && c.GetStatus() == "True"
		}
		if bad {
			return fmt.Sprintf("%s=%s %s", c.GetType(), c.GetStatus(), c.GetReason())
		}
	}
	return ""
}

func key(g *v1.Gpu) string {
	ns := g.GetMetadata().GetNamespace()
	if ns == "" {
		ns = "default"
	}
	return ns + "/" + g.GetMetadata().GetName()
}

func word(reason string) string {
	if reason == "" {
		return "healthy"
	}
	return "unhealthy (" + reason + ")"
}

// set records one GPU's health and prints a transition when it changed.
func (m *healthMap) set(k string, reason string, existed bool) {
	old, had := m.health[k]
	m.health[k] = reason
	switch {
	case !had:
		fmt.Printf("gpu %s added: %s\n", k, word(reason))
	case old != reason:
		fmt.Printf("gpu %s: %s -> %s\n", k, word(old), word(reason))
	}
}

// Replace takes a full list: new GPUs are added, changed ones print a transition, and GPUs
// that are no longer listed are removed.
func (m *healthMap) Replace(items []*v1.Gpu, version string) {
	seen := map[string]bool{}
	for _, g := range items {
		seen[key(g)] = true
		m.set(key(g), healthOf(g), true)
	}
	var gone []string
	for k := range m.health {
		if !seen[k] {
			gone = append(gone, k)
		}
	}
	sort.Strings(gone)
	for _, k := range gone {
		delete(m.health, k)
		fmt.Printf("gpu %s removed\n", k)
	}
	m.summary(version)
}

// Event applies one live change.
func (m *healthMap) Event(eventType string, g *v1.Gpu) {
	if eventType == "DELETED" {
		delete(m.health, key(g))
		fmt.Printf("gpu %s removed\n", key(g))
	} else {
		m.set(key(g), healthOf(g), eventType == "MODIFIED")
	}
}

func (m *healthMap) summary(version string) {
	healthy := 0
	for _, r := range m.health {
		if r == "" {
			healthy++
		}
	}
	fmt.Printf("synced at version %s: %d GPUs, %d healthy\n", version, len(m.health), healthy)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	endpoint, err := client.EndpointFromEnv(nil, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	conn, err := client.Dial(ctx, endpoint)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer conn.Close()
	fmt.Printf("watching %s\n", endpoint)
	r := &client.Reflector{
		Client:  v1.NewGpuServiceClient(conn),
		Backoff: client.Backoff{Policy: client.BackoffPolicy{Initial: 100 * time.Millisecond, Max: 5 * time.Second}},
		Events: client.ReflectorEvents{
			Listed: func(version string, n int, first bool) {
				if !first {
					fmt.Printf("re-listed at version %s (%d GPUs)\n", version, n)
				}
			},
			Retrying: func(err error, delay time.Duration) {
				fmt.Fprintf(os.Stderr, "retrying in %v: %v\n", delay.Round(time.Millisecond), err)
			},
			Resumed: func(version string, cause error) {
				fmt.Printf("resuming watch from version %s\n", version)
			},
		},
	}
	if err := r.Run(ctx, &healthMap{health: map[string]string{}}); err != nil {
		fmt.Fprintln(os.Stderr, "device-plugin:", err)
		os.Exit(1)
	}
}
