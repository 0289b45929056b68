//go:build tools

// Package server pins the Temporal commands the PostgreSQL cluster builds:
// the server (one process per service) and temporal-sql-tool.
package server

import (
	_ "go.temporal.io/server/cmd/server"
	_ "go.temporal.io/server/cmd/tools/sql"
)
