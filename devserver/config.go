package devserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// Default values applied by Config.withDefaults.
const (
	// DefaultIP is the address every listener binds when Config.IP is empty.
	DefaultIP = "127.0.0.1"
	// DefaultNamespace is created when Config.Namespaces is empty.
	DefaultNamespace = "default"
	// DefaultRetention is how long closed workflow histories are kept in
	// namespaces this package creates.
	DefaultRetention = 30 * 24 * time.Hour
	// UIDisabled as Config.UIPort turns the Web UI off.
	UIDisabled = -1
	// DefaultUIPort is the port tempest serves the Web UI on (as the
	// Temporal CLI does).
	DefaultUIPort = 8233
	// DefaultFrontendPort is the conventional Temporal frontend port.
	DefaultFrontendPort = 7233
)

// Config describes one embedded server. The zero value is a usable
// in-memory server on free ports with the UI on a free port.
type Config struct {
	// DBPath is the SQLite database file; "" keeps everything in memory.
	// Its directory must exist.
	DBPath string
	// IP is the address every listener binds (default 127.0.0.1).
	IP string
	// FrontendPort is the gRPC frontend port; 0 picks a free port.
	FrontendPort int
	// UIPort is the Web UI HTTP port; 0 picks a free port and UIDisabled
	// (-1) turns the UI off.
	UIPort int
	// Namespaces are created if missing (default ["default"]).
	Namespaces []string
	// Retention applies to namespaces created by Start (default
	// DefaultRetention); existing namespaces keep theirs.
	Retention time.Duration
	// SearchAttributes are registered on every namespace: name -> type.
	SearchAttributes map[string]enumspb.IndexedValueType
	// Logger receives the server's logs. nil logs warnings and errors to
	// stderr (the server is very chatty at info level).
	Logger *slog.Logger
	// CodecEndpoint is the remote codec the Web UI decodes payloads with
	// (e.g. a tempest codec-server's URL); "" none.
	CodecEndpoint string
}

// withDefaults returns a copy of c with defaults filled in and free ports
// chosen, or an error naming the first invalid field.
func (c Config) withDefaults() (Config, error) {
	if c.IP == "" {
		c.IP = DefaultIP
	}
	if net.ParseIP(c.IP) == nil {
		return c, fmt.Errorf("devserver: config.IP %q is not an IP address", c.IP)
	}
	if c.FrontendPort < 0 || c.FrontendPort > 65535 {
		return c, fmt.Errorf("devserver: config.FrontendPort %d out of range", c.FrontendPort)
	}
	if c.UIPort < UIDisabled || c.UIPort > 65535 {
		return c, fmt.Errorf("devserver: config.UIPort %d out of range (-1 disables, 0 picks a free port)", c.UIPort)
	}
	if c.Retention < 0 {
		return c, fmt.Errorf("devserver: config.Retention %v is negative", c.Retention)
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	if len(c.Namespaces) == 0 {
		c.Namespaces = []string{DefaultNamespace}
	}
	for i, ns := range c.Namespaces {
		if ns == "" {
			return c, fmt.Errorf("devserver: config.Namespaces[%d] is empty", i)
		}
	}
	for name, typ := range c.SearchAttributes {
		if name == "" {
			return c, errors.New("devserver: config.SearchAttributes has an empty name")
		}
		if typ == enumspb.INDEXED_VALUE_TYPE_UNSPECIFIED {
			return c, fmt.Errorf("devserver: config.SearchAttributes[%q] has no type", name)
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	var err error
	if c.FrontendPort == 0 {
		if c.FrontendPort, err = freePort(c.IP); err != nil {
			return c, err
		}
	}
	if c.UIPort == 0 {
		if c.UIPort, err = freePort(c.IP); err != nil {
			return c, err
		}
	}
	return c, nil
}
