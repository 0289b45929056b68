// Package activities holds every Temporal activity of Tempest: all I/O lives
// here or in the fault, probe and load implementations these activities call.
//
// Contract:
//   - Activities is a struct holding its dependencies (registries, guards);
//     workflows call its methods through a nil *Activities and the worker
//     registers a real one.
//   - Errors are classified at this boundary: an errkind error becomes a
//     non-retryable temporal.ApplicationError whose type is the errkind type;
//     every other error is retried with backoff by the caller's retry policy.
//   - Long activities heartbeat and resume from their heartbeat details after
//     a retry (probe watches, load). Short ones heartbeat while they run so a
//     dead worker is noticed within the heartbeat timeout.
//   - Inject and Revert act on one target and are idempotent.
package activities
