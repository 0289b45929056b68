// Package integration holds end-to-end tests of Tempest against real
// components: the embedded Temporal server, real workers (in-process and as
// separate OS processes) and real target processes on 127.0.0.1. Unit tests
// live next to the code they test.
package integration
