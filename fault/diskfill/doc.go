// Package diskfill implements the "diskFill" host fault: it fills the
// filesystem that holds a directory, to a percent of it used or by a
// number of bytes, with one marked file, and its revert deletes exactly
// that file. Linux only.
//
// # Spec
//
// A Spec names Path (an existing absolute directory) and one of Percent
// (fill until the filesystem is that percent used, counted as df does:
// used / (used + available)) or Bytes ("512Mi", "1G", "1048576").
// Spec.Validate reports each problem with its field path
// ("spec.faults[0].diskFill.percent: 150 is not more than 0 and at most 100").
//
// # Targets
//
// One target, the directory: ID "disk/<path>", Attrs[AttrPath] the path.
// A directory that does not exist is errkind.UnknownTarget.
//
// # What an injection writes
//
// One file in Path named FilePrefix plus 16 hex digits of a SHA-256 of the
// run's workflow ID and run ID, the fault's name and the injection number,
// allocated with fallocate(2), or filled with zeros on filesystems that
// cannot fallocate. Before it, a sidecar (the file's name plus
// SidecarSuffix) and an index entry under the worker's state directory
// (StateDir/diskfill/<id>.json) record the Marker: workflow ID, run ID,
// fault, injection and the file's path. Both are written and synced
// before the file, so a crash at any point leaves the file findable (by
// the index) and attributable (by either).
//
// # Kind
//
// Kind is the kind for package kinds: Spec is its block ("diskFill:" in a
// spec), Driver its fault.Fault and fault.Sweeper, built with the
// worker's state directory (the index, and the filesystem the margin
// guards).
//
// # Contract
//
//   - Inject is idempotent: it finds its own file by name and only
//     extends it to the size wanted now, counting the filesystem's usage
//     without that file (so a re-inject of 80% stays at 80%). A
//     filesystem already fuller than Percent gets nothing written.
//   - Inject refuses (errkind.Refused), writing nothing, when the fill
//     needs more than is available, and when Path is on the filesystem of
//     the worker's state directory and the fill would leave less available
//     there than the larger of MinFreePercent of its size and MinFreeBytes
//     (defaults 5% and 256 MiB: room for the worker's own state and logs,
//     on small disks as on large ones). An Inject that fails after it
//     started writing deletes its file again; a nil State with an error
//     means nothing was changed.
//   - Revert deletes exactly the injection's file, then its sidecar, then
//     its index entry (derived from the request, so a lost State is
//     reverted too); any of them already gone is fine.
//   - Leftovers lists the fill files the index knows of, and any other
//     marked file in the directories it names, each attributed to its run
//     by the index entry or the sidecar; removing one deletes it as Revert
//     does.
//
// The State holds the path, the file, the bytes allocated, the method
// (fallocate, zeros, or none) and the filesystem's used percent before and
// after.
package diskfill
