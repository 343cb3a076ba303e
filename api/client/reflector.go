package client

import (
	"context"
	"errors"
	"io"
	"time"

	v1 "github.com/nvidia/nvsentinel/api/gen/go/device/v1alpha1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Handler receives what a Reflector observes. Calls come from one goroutine, in order.
type Handler interface {
	// Replace hands over a complete, consistent list: at the start and after every re-list
	// (OUT_OF_RANGE after a server restart or a long outage). Objects the handler holds that
	// are not in items are gone.
	Replace(items []*v1.Gpu, resourceVersion string)
	// Event hands over one live change: "ADDED", "MODIFIED" or "DELETED".
	Event(eventType string, gpu *v1.Gpu)
}

// ReflectorEvents are optional hooks that report what the reflector does (for logs and tests).
type ReflectorEvents struct {
	// Relisted is called after a list (first=false for every list after the first).
	Listed func(resourceVersion string, count int, first bool)
	// Resumed is called when a watch restarts from a resource version after a break.
	Resumed func(resourceVersion string, cause error)
	// Retrying is called before each backoff wait.
	Retrying func(err error, delay time.Duration)
}

// Reflector keeps a Handler in step with the server, the way Kubernetes' reflector does: it
// lists, then watches from the list's version with bookmarks. When the stream breaks it
// resumes from the last live event or bookmark it saw (never from a listed object's own
// version); when the server answers OUT_OF_RANGE (the version is no longer in its history,
// e.g. after a restart) it lists again. Failures are retried with exponential backoff and
// jitter; codes a retry cannot heal end Run.
type Reflector struct {
	Client v1.GpuServiceClient
	// Namespace restricts to one namespace ("" for all); LabelSelector filters by labels.
	Namespace, LabelSelector string
	Backoff                  Backoff
	// Clock of the backoff waits (RealClock when nil).
	Clock  Clock
	Events ReflectorEvents
}

// ErrStreamEnded reports a watch stream that the server closed without an error.
var ErrStreamEnded = errors.New("watch stream ended")

// Run lists and watches until ctx ends (returning nil) or an error no retry can heal.
func (r *Reflector) Run(ctx context.Context, h Handler) error {
	clock := r.Clock
	if clock == nil {
		clock = RealClock{}
	}
	version := "" // "" means: list first
	lists := 0
	for {
		var err error
		if version == "" {
			version, err = r.list(ctx, h, lists == 0)
			if err == nil {
				lists++
			}
		}
		if err == nil {
			version, err = r.watch(ctx, h, version)
		}
		if ctx.Err() != nil {
			return nil
		}
		if status.Code(err) == codes.OutOfRange {
			version = "" // the version is gone: list again, at once
			continue
		}
		if !IsRetryable(err) {
			return err
		}
		delay := r.Backoff.Next()
		if r.Events.Retrying != nil {
			r.Events.Retrying(err, delay)
		}
		if clock.Sleep(ctx, delay) != nil {
			return nil
		}
		if version != "" && r.Events.Resumed != nil {
			r.Events.Resumed(version, err)
		}
	}
}

func (r *Reflector) list(ctx context.Context, h Handler, first bool) (string, error) {
	res, err := r.Client.ListGpus(ctx, &v1.ListGpusRequest{Opts: &v1.ListOptions{
		Namespace: r.Namespace, LabelSelector: r.LabelSelector,
	}})
	if err != nil {
		return "", err
	}
	r.Backoff.Reset()
	list := res.GetGpuList()
	version := list.GetMetadata().GetResourceVersion()
	h.Replace(list.GetItems(), version)
	if r.Events.Listed != nil {
		r.Events.Listed(version, len(list.GetItems()), first)
	}
	return version, nil
}

// watch streams live events from version; it returns the last version seen and why it ended.
func (r *Reflector) watch(ctx context.Context, h Handler, version string) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := r.Client.WatchGpus(ctx, &v1.WatchGpusRequest{Opts: &v1.ListOptions{
		ResourceVersion:     version,
		Namespace:           r.Namespace,
		LabelSelector:       r.LabelSelector,
		AllowWatchBookmarks: true,
	}})
	if err != nil {
		return version, err
	}
	initial := version == "0"
	for {
		ev, err := stream.Recv()
		if initial && err != nil {
			version = "" // broken inside the snapshot: list again
		}
		if err == io.EOF {
			return version, ErrStreamEnded
		}
		if err != nil {
			return version, err
		}
		r.Backoff.Reset()
		obj := ev.GetObject()
		if ev.GetType() == "BOOKMARK" {
			version = obj.GetMetadata().GetResourceVersion()
			initial = false
			continue
		}
		// A watch from "0" starts with the snapshot, whose events carry each object's own
		// (older) version: only live events and bookmarks are resume points.
		if !initial {
			version = obj.GetMetadata().GetResourceVersion()
		}
		h.Event(ev.GetType(), obj)
	}
}
