// Package devserver runs a complete Temporal cluster inside the current
// process, the way `temporal server start-dev` does: the frontend, history,
// matching and worker services of go.temporal.io/server on SQLite
// persistence, plus (optionally) the Temporal Web UI.
//
// Contract:
//   - Start returns only once the frontend answers health checks, every
//     configured namespace exists and every configured search attribute is
//     registered and queryable on every namespace. On error nothing is left
//     running.
//   - With Config.DBPath set, state lives in that SQLite file and survives
//     restarts: starting again on the same file keeps workflow histories,
//     and namespace / search-attribute registration is idempotent. A search
//     attribute that already exists with a different type is an error.
//   - With Config.DBPath empty, state lives in a private in-memory database
//     that disappears on Stop; several in-memory servers may run in one
//     process.
//   - Every listener binds Config.IP (default 127.0.0.1) only.
//   - Stop stops the UI then the server; it is safe to call more than once.
//
// Tempest's own search attributes are listed by TempestSearchAttributes.
// For integration tests in other packages use the devtest sub-package.
package devserver
