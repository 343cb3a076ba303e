// Package client is a small Go client of the Device API: the DEVICE_API_ENDPOINT setting,
// list-then-watch with resume and re-list (Reflector), provider registration with heartbeats
// (RunProvider), and the retry policy they share (Backoff).
package client

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"google.golang.org/grpc"
)

// EndpointEnv is the environment variable that names the server's endpoint.
const EndpointEnv = "DEVICE_API_ENDPOINT"

// DefaultEndpoint is used when DEVICE_API_ENDPOINT is unset or empty: the server's socket.
const DefaultEndpoint = "unix:///var/run/device-api/device.sock"

// maxSocketPathBytes: sun_path holds 108 bytes including the terminating NUL.
const maxSocketPathBytes = 107

// Endpoint is a parsed endpoint: a Unix socket path or a TCP host and port.
type Endpoint struct {
	// Kind is "unix" or "tcp".
	Kind string
	// Path of the socket (Kind "unix"); a relative path stays relative.
	Path string
	// Host without brackets and Port (Kind "tcp").
	Host string
	Port int
}

// String gives the endpoint back in its canonical form (unix:///abs, unix:rel, host:port, [v6]:port).
func (e Endpoint) String() string {
	if e.Kind == "unix" {
		if strings.HasPrefix(e.Path, "/") {
			return "unix://" + e.Path
		}
		return "unix:" + e.Path
	}
	return net.JoinHostPort(e.Host, strconv.Itoa(e.Port))
}

const forms = "use unix:///absolute/path, unix:relative/path, HOST:PORT or [IPV6]:PORT"

// ParseEndpoint parses unix:///abs/path, unix:/abs/path, unix:relative/path, host:port or
// [ipv6]:port, with the same rules as the TypeScript client's parseEndpoint().
func ParseEndpoint(text string) (Endpoint, error) {
	fail := func(why string) (Endpoint, error) {
		return Endpoint{}, fmt.Errorf("invalid endpoint %q: %s", text, why)
	}
	if text == "" {
		return fail("empty; " + forms)
	}
	if strings.TrimSpace(text) != text {
		return fail("leading or trailing white space")
	}
	if rest := strings.TrimPrefix(text, "unix:"); rest != text {
		path := rest
		if strings.HasPrefix(rest, "//") {
			path = rest[2:]
			if !strings.HasPrefix(path, "/") {
				return fail("unix:// must be followed by an absolute path (unix:///path), not a host")
			}
		}
		switch {
		case path == "":
			return fail("no socket path; " + forms)
		case strings.ContainsRune(path, 0):
			return fail("the socket path contains a NUL byte")
		case strings.HasSuffix(path, "/"):
			return fail("the socket path names a directory")
		case len(path) > maxSocketPathBytes:
			return fail(fmt.Sprintf("the socket path is longer than %d bytes", maxSocketPathBytes))
		}
		return Endpoint{Kind: "unix", Path: path}, nil
	}
	if i := strings.Index(text, "://"); i > 0 {
		return fail("unsupported scheme; " + forms)
	}
	colon := strings.LastIndex(text, ":")
	if colon < 0 {
		return fail("no port; " + forms)
	}
	hostPart, portPart := text[:colon], text[colon+1:]
	host := hostPart
	if strings.HasPrefix(hostPart, "[") {
		if !strings.HasSuffix(hostPart, "]") {
			return fail("an IPv6 host needs a closing bracket")
		}
		host = hostPart[1 : len(hostPart)-1]
		if ip := net.ParseIP(host); ip == nil || ip.To4() != nil || strings.Contains(host, ".") {
			return fail(fmt.Sprintf("%q is not an IPv6 address", host))
		}
	} else {
		switch {
		case host == "":
			return fail("no host; " + forms)
		case strings.Contains(host, ":"):
			return fail("an IPv6 host needs brackets, such as [::1]:50051")
		case net.ParseIP(host) == nil && !isHostName(host):
			return fail(fmt.Sprintf("%q is neither an IP address nor a host name", host))
		}
	}
	port, err := strconv.Atoi(portPart)
	if err != nil || len(portPart) > 5 || strings.HasPrefix(portPart, "+") || port < 1 || port > 65535 {
		return fail("the port must be a number between 1 and 65535")
	}
	return Endpoint{Kind: "tcp", Host: host, Port: port}, nil
}

// isHostName reports an RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens.
func isHostName(host string) bool {
	if len(host) > 253 {
		return false
	}
	for _, label := range strings.Split(host, ".") {
		if len(label) < 1 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// EndpointFromEnv reads DEVICE_API_ENDPOINT through lookup (os.LookupEnv when nil); unset or
// empty gives fallback (DefaultEndpoint when "").
func EndpointFromEnv(lookup func(string) (string, bool), fallback string) (Endpoint, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if fallback == "" {
		fallback = DefaultEndpoint
	}
	raw, ok := lookup(EndpointEnv)
	if !ok || raw == "" {
		return ParseEndpoint(fallback)
	}
	e, err := ParseEndpoint(raw)
	if err != nil {
		return Endpoint{}, fmt.Errorf("%s: %w", EndpointEnv, err)
	}
	return e, nil
}

// Dial connects to an endpoint (plaintext unless opts carry credentials). Unix sockets use a
// dialer of their own, so that every grpc-go version (1.33 has no unix: resolver) reaches them.
func Dial(ctx context.Context, e Endpoint, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	base := []grpc.DialOption{grpc.WithInsecure()}
	target := e.String()
	if e.Kind == "unix" {
		path := e.Path
		target = "passthrough:///" + path
		// A socket path is no valid :authority; "localhost" is what grpc-go's unix resolver sends.
		base = append(base, grpc.WithAuthority("localhost"), grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}))
	}
	return grpc.DialContext(ctx, target, append(base, opts...)...)
}

// DialFromEnv dials the endpoint DEVICE_API_ENDPOINT names (default: the server's socket).
func DialFromEnv(ctx context.Context, opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	e, err := EndpointFromEnv(nil, "")
	if err != nil {
		return nil, err
	}
	return Dial(ctx, e, opts...)
}
