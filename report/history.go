package report

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/converter"

	"github.com/tempest-chaos/tempest/experiment"
	"github.com/tempest-chaos/tempest/fault"
)

// Activity type names the history is read for (the methods of
// activities.Activities, registered by name).
const (
	activityInject      = "Inject"
	activityRevert      = "Revert"
	activityCheckProbe  = "CheckProbe"
	activityWatchProbe  = "WatchProbe"
	maxErrorMessageSize = 300
)

// History is what one workflow run's history says the run did.
type History struct {
	// Injections are the injects the run scheduled, each with its revert
	// (a revert of an injection scheduled in another run, such as a
	// FaultWorkflow's earlier run, stands alone: BuildTimeline joins it).
	Injections []Injection
	Probes     []ProbeRun
	// Children are the child workflow runs it started (the FaultWorkflows
	// of repeating faults): their histories hold their injections.
	Children []Execution
	// ContinuedAs is the run it continued as new into, "" for none.
	ContinuedAs string
}

// Execution names one workflow run.
type Execution struct {
	WorkflowID string
	RunID      string
}

// Mirrors of the activities' inputs and results, decoded from their JSON
// payloads (package activities is not imported: it brings every fault's
// client; history_test checks that the mirrors read the real types).
type (
	revertInput struct {
		Request fault.Request `json:"request"`
	}
	injectResult struct {
		At time.Time `json:"at"`
	}
	probeInput struct {
		Probe struct {
			Name string               `json:"name"`
			Mode experiment.ProbeMode `json:"mode"`
		} `json:"probe"`
	}
	watchResult struct {
		Result experiment.ProbeResult `json:"result"`
	}
)

// ParseHistory reads one workflow run's history. Events it does not need
// are skipped; an activity whose payloads it cannot decode is left out.
func ParseHistory(events []*historypb.HistoryEvent) History {
	var h History
	injections := map[int64]int{} // scheduled event ID -> index in h.Injections
	probes := map[int64]int{}
	reverts := map[int64]fault.Request{}
	for _, ev := range events {
		at := ev.GetEventTime().AsTime()
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			a := ev.GetActivityTaskScheduledEventAttributes()
			id, summary, input := ev.GetEventId(), summaryOf(ev), firstPayload(a.GetInput().GetPayloads())
			switch a.GetActivityType().GetName() {
			case activityInject:
				var req fault.Request
				if json.Unmarshal(input, &req) != nil {
					continue
				}
				injections[id] = len(h.Injections)
				h.Injections = append(h.Injections, Injection{Fault: req.Fault.Name, N: req.Injection, Target: req.Target.ID, Summary: summary, Scheduled: at})
			case activityRevert:
				var in revertInput
				if json.Unmarshal(input, &in) != nil {
					continue
				}
				reverts[id] = in.Request
				if i, ok := findInjection(h.Injections, in.Request); ok {
					h.Injections[i].RevertSummary, h.Injections[i].RevertStarted = summary, at
				} else {
					h.Injections = append(h.Injections, Injection{Fault: in.Request.Fault.Name, N: in.Request.Injection, Target: in.Request.Target.ID, RevertSummary: summary, RevertStarted: at})
				}
			case activityCheckProbe, activityWatchProbe:
				var in probeInput
				if json.Unmarshal(input, &in) != nil {
					continue
				}
				probes[id] = len(h.Probes)
				h.Probes = append(h.Probes, ProbeRun{Probe: in.Probe.Name, Mode: in.Probe.Mode, Summary: summary, Start: at})
			}
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			a := ev.GetActivityTaskCompletedEventAttributes()
			closeActivity(&h, a.GetScheduledEventId(), at, firstPayload(a.GetResult().GetPayloads()), "", injections, probes, reverts)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED:
			a := ev.GetActivityTaskFailedEventAttributes()
			closeActivity(&h, a.GetScheduledEventId(), at, nil, failureMessage(a.GetFailure()), injections, probes, reverts)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			a := ev.GetActivityTaskTimedOutEventAttributes()
			closeActivity(&h, a.GetScheduledEventId(), at, nil, failureMessage(a.GetFailure()), injections, probes, reverts)
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
			// A watching probe stopped early returns its partial result as
			// the cancellation's details.
			a := ev.GetActivityTaskCanceledEventAttributes()
			id := a.GetScheduledEventId()
			if i, ok := probes[id]; ok {
				var w watchResult
				if dataOf(firstPayload(a.GetDetails().GetPayloads()), &w) {
					setProbeResult(&h.Probes[i], w.Result)
				}
				h.Probes[i].End = at
				continue
			}
			closeActivity(&h, id, at, nil, "canceled", injections, probes, reverts)
		case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
			we := ev.GetChildWorkflowExecutionStartedEventAttributes().GetWorkflowExecution()
			h.Children = append(h.Children, Execution{WorkflowID: we.GetWorkflowId(), RunID: we.GetRunId()})
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
			h.ContinuedAs = ev.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
		}
	}
	return h
}

// closeActivity records the outcome of the activity scheduled as event id:
// its result (JSON) or, when errMsg is set, its failure.
func closeActivity(h *History, id int64, at time.Time, result []byte, errMsg string, injections, probes map[int64]int, reverts map[int64]fault.Request) {
	if i, ok := injections[id]; ok {
		in := &h.Injections[i]
		if errMsg != "" {
			in.InjectError = errMsg
			return
		}
		var r injectResult
		if dataOf(result, &r) {
			in.At = r.At
		}
		return
	}
	if req, ok := reverts[id]; ok {
		i, found := findInjection(h.Injections, req)
		if !found {
			return
		}
		in := &h.Injections[i]
		if errMsg != "" {
			in.RevertError = errMsg
			return
		}
		var t time.Time
		if dataOf(result, &t) {
			in.RevertedAt = t
		} else {
			in.RevertedAt = at
		}
		return
	}
	if i, ok := probes[id]; ok {
		p := &h.Probes[i]
		p.End = at
		if errMsg != "" {
			p.Error = errMsg
			return
		}
		var r experiment.ProbeResult
		if p.Mode == experiment.ModeContinuous || p.Mode == experiment.ModeOnChaos {
			var w watchResult
			if dataOf(result, &w) {
				r = w.Result
			}
		} else if !dataOf(result, &r) {
			return
		}
		setProbeResult(p, r)
	}
}

func setProbeResult(p *ProbeRun, r experiment.ProbeResult) {
	p.Passed, p.Observations, p.Failures = r.Passed, r.Observations, r.Failures
	p.FirstFailure, p.Last = r.FirstFailure, r.Last
}

func findInjection(ins []Injection, req fault.Request) (int, bool) {
	i := slices.IndexFunc(ins, func(in Injection) bool {
		return in.Fault == req.Fault.Name && in.N == req.Injection && in.Target == req.Target.ID
	})
	return i, i >= 0
}

// BuildTimeline joins the Result's Held records with the histories of the
// run and of its children (every run of each): history gives the summaries,
// the scheduling times, the failures and the injections Held left out;
// Held, when it has an injection, gives its times (the same worker clocks)
// and its planned hold and why it was cut short.
func BuildTimeline(res experiment.Result, hists ...History) Timeline {
	var tl Timeline
	index := map[string]int{}
	key := func(f string, n int, target string) string { return f + "\x00" + strconv.Itoa(n) + "\x00" + target }
	for _, h := range hists {
		for _, in := range h.Injections {
			k := key(in.Fault, in.N, in.Target)
			if i, ok := index[k]; ok {
				mergeInjection(&tl.Injections[i], in)
				continue
			}
			index[k] = len(tl.Injections)
			tl.Injections = append(tl.Injections, in)
		}
		tl.Probes = append(tl.Probes, h.Probes...)
	}
	for _, f := range res.Faults {
		for _, held := range f.Held {
			k := key(f.Name, held.N, held.Target)
			i, ok := index[k]
			if !ok {
				index[k] = len(tl.Injections)
				tl.Injections = append(tl.Injections, Injection{Fault: f.Name, N: held.N, Target: held.Target})
				i = len(tl.Injections) - 1
			}
			in := &tl.Injections[i]
			if !held.At.IsZero() {
				in.At = held.At
			}
			if !held.RevertedAt.IsZero() {
				in.RevertedAt = held.RevertedAt
			}
			in.Planned, in.Held, in.CutShort = held.Planned, held.Held, held.CutShort
		}
	}
	for i := range tl.Injections {
		in := &tl.Injections[i]
		if in.Held == 0 && !in.At.IsZero() && !in.RevertedAt.IsZero() {
			in.Held = in.RevertedAt.Sub(in.At)
		}
	}
	slices.SortStableFunc(tl.Injections, func(a, b Injection) int {
		return cmp.Or(firstTime(a.At, a.Scheduled, a.RevertStarted).Compare(firstTime(b.At, b.Scheduled, b.RevertStarted)),
			cmp.Compare(a.Fault, b.Fault), cmp.Compare(a.N, b.N), cmp.Compare(a.Target, b.Target))
	})
	slices.SortStableFunc(tl.Probes, func(a, b ProbeRun) int { return a.Start.Compare(b.Start) })
	return tl
}

// mergeInjection fills what dst does not know from src (the same
// injection seen in another history: its revert in a later run).
func mergeInjection(dst *Injection, src Injection) {
	set := func(d *time.Time, s time.Time) {
		if d.IsZero() {
			*d = s
		}
	}
	setS := func(d *string, s string) {
		if *d == "" {
			*d = s
		}
	}
	set(&dst.Scheduled, src.Scheduled)
	set(&dst.At, src.At)
	set(&dst.RevertStarted, src.RevertStarted)
	set(&dst.RevertedAt, src.RevertedAt)
	setS(&dst.Summary, src.Summary)
	setS(&dst.InjectError, src.InjectError)
	setS(&dst.RevertSummary, src.RevertSummary)
	setS(&dst.RevertError, src.RevertError)
}

func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// summaryOf is an event's summary (user metadata, a JSON string payload).
func summaryOf(ev *historypb.HistoryEvent) string {
	var s string
	if p := ev.GetUserMetadata().GetSummary(); p != nil {
		_ = converter.GetDefaultDataConverter().FromPayload(p, &s)
	}
	return s
}

func firstPayload[P interface{ GetData() []byte }](ps []P) []byte {
	if len(ps) == 0 {
		return nil
	}
	return ps[0].GetData()
}

// dataOf decodes a JSON payload's data into v.
func dataOf(data []byte, v any) bool {
	return len(data) > 0 && json.Unmarshal(data, v) == nil
}

// failureMessage is a failure's message with its causes, bounded.
func failureMessage(f *failurepb.Failure) string {
	msg := ""
	for ; f != nil; f = f.GetCause() {
		m := f.GetMessage()
		if m == "" {
			if tf := f.GetTimeoutFailureInfo(); tf != nil {
				m = "timed out (" + tf.GetTimeoutType().String() + ")"
			}
		}
		if m == "" {
			continue
		}
		if msg != "" {
			msg += ": "
		}
		msg += m
	}
	if msg == "" {
		msg = "failed"
	}
	if len(msg) > maxErrorMessageSize {
		msg = msg[:maxErrorMessageSize-3] + "..."
	}
	return msg
}
