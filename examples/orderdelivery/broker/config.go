package broker

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Config describes one cluster. Node i (1-based) uses AMQP port
// BasePort+i-1 and distribution port DistBasePort+i-1.
type Config struct {
	// StateDir holds every file of the cluster; it is created if missing.
	StateDir string `json:"stateDir"`
	// Nodes is the number of nodes (1 or more; default 1).
	Nodes int `json:"nodes"`
	// BasePort is the AMQP port of node 1 (default 5672).
	BasePort int `json:"basePort"`
	// DistBasePort is the Erlang distribution port of node 1 (default BasePort+20000).
	DistBasePort int `json:"distBasePort"`
	// EPMDPort is the port of this cluster's own epmd (default 4369).
	EPMDPort int `json:"epmdPort"`
	// NamePrefix names the nodes <NamePrefix><i>@localhost (default "rabbit").
	NamePrefix string `json:"namePrefix"`
	// Queue, when set, is the quorum queue whose leader WriteLeaderPIDFile
	// and RestartDown record in LeaderPIDFile (clusters only).
	Queue string `json:"queue,omitempty"`
}

// configFile is the name of the saved Config inside StateDir.
const configFile = "cluster.json"

func (c Config) withDefaults() (Config, error) {
	if c.StateDir == "" {
		return c, errors.New("broker: Config.StateDir is required")
	}
	dir, err := filepath.Abs(c.StateDir)
	if err != nil {
		return c, fmt.Errorf("broker: state dir: %w", err)
	}
	c.StateDir = dir
	if c.Nodes <= 0 {
		c.Nodes = 1
	}
	if c.BasePort == 0 {
		c.BasePort = 5672
	}
	if c.DistBasePort == 0 {
		c.DistBasePort = c.BasePort + 20000
	}
	if c.EPMDPort == 0 {
		c.EPMDPort = 4369
	}
	if c.NamePrefix == "" {
		c.NamePrefix = "rabbit"
	}
	return c, nil
}

// NodeName is the Erlang node name of node i (1-based).
func (c Config) NodeName(i int) string { return fmt.Sprintf("%s%d@localhost", c.NamePrefix, i) }

// Port is the AMQP port of node i (1-based).
func (c Config) Port(i int) int { return c.BasePort + i - 1 }

// AMQPURL is the connection URL of node i (1-based), as the default guest user.
func (c Config) AMQPURL(i int) string {
	return fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d/", c.Port(i))
}

// LeaderPIDFile holds the pid of the node leading Queue; a process fault
// selecting it kills the current leader.
func (c Config) LeaderPIDFile() string { return filepath.Join(c.StateDir, "leader.pid") }

func (c Config) save() error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("broker: encode config: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.StateDir, configFile), b, 0o644); err != nil {
		return fmt.Errorf("broker: save config: %w", err)
	}
	return nil
}

// Load returns the cluster saved in stateDir by New.
func Load(stateDir string) (*Cluster, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, configFile))
	if err != nil {
		return nil, fmt.Errorf("broker: no cluster in %s: %w", stateDir, err)
	}
	var c Config
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("broker: read %s: %w", configFile, err)
	}
	return New(c)
}
