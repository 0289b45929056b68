// Package report renders the report of one experiment run as a
// self-contained HTML page, GitHub-flavoured Markdown, JUnit XML or JSON.
//
// Contract:
//   - Rendering is pure: a Run (the run's experiment.Result, its
//     hypothesis, IDs and UI link, and its Timeline) goes in, bytes come
//     out. Nothing is read from Temporal, the clock or the network, so a
//     report can be made of any past run, on any machine, and the same Run
//     always renders the same bytes.
//   - The Timeline is what happened, not the plan: BuildTimeline joins the
//     Result's per-injection Held records with the run's Temporal history
//     (ParseHistory: the Inject, Revert and probe activities with their
//     summaries, and the failures Held does not record), so the injections
//     a Result left out (FaultResult.HeldOmitted) are in it too.
//   - The HTML page fetches nothing: uPlot (MIT, vendored in assets/) and
//     the data are inlined, and its Content-Security-Policy forbids every
//     fetch. It stays under 1 MB for a one-hour run (the load series has
//     at most 3,600 points).
//   - JUnit has one testsuite per experiment and one testcase per probe,
//     per load threshold, per fault (its reverts) and for the verdict; a
//     failure's message carries the measured value.
package report
