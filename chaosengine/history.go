package chaosengine

import (
	"context"
	"fmt"
	"io"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
)

// WriteHistory writes a run's history one event a line, with what tells
// the story of a violation: activity types, attempts, worker identities,
// failures, timeouts.
func WriteHistory(ctx context.Context, c client.Client, id, runID string, w io.Writer) error {
	it := c.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	types := map[int64]string{} // scheduled event ID -> activity type
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%4d %s %s%s\n", ev.GetEventId(), ev.GetEventTime().AsTime().Format("15:04:05.000"),
			strings.TrimPrefix(ev.GetEventType().String(), "EVENT_TYPE_"), eventDetail(ev, types))
	}
	return nil
}

func eventDetail(ev *historypb.HistoryEvent, types map[int64]string) string {
	switch {
	case ev.GetActivityTaskScheduledEventAttributes() != nil:
		a := ev.GetActivityTaskScheduledEventAttributes()
		types[ev.GetEventId()] = a.GetActivityType().GetName()
		return fmt.Sprintf(" %s id=%s s2c=%s start2c=%s hb=%s", a.GetActivityType().GetName(), a.GetActivityId(),
			a.GetScheduleToCloseTimeout().AsDuration(), a.GetStartToCloseTimeout().AsDuration(), a.GetHeartbeatTimeout().AsDuration())
	case ev.GetActivityTaskStartedEventAttributes() != nil:
		a := ev.GetActivityTaskStartedEventAttributes()
		return fmt.Sprintf(" %s attempt=%d identity=%s lastFailure=%q", types[a.GetScheduledEventId()], a.GetAttempt(), a.GetIdentity(), a.GetLastFailure().GetMessage())
	case ev.GetActivityTaskCompletedEventAttributes() != nil:
		a := ev.GetActivityTaskCompletedEventAttributes()
		return fmt.Sprintf(" %s identity=%s", types[a.GetScheduledEventId()], a.GetIdentity())
	case ev.GetActivityTaskFailedEventAttributes() != nil:
		a := ev.GetActivityTaskFailedEventAttributes()
		return fmt.Sprintf(" %s identity=%s failure=%q", types[a.GetScheduledEventId()], a.GetIdentity(), a.GetFailure().GetMessage())
	case ev.GetActivityTaskTimedOutEventAttributes() != nil:
		a := ev.GetActivityTaskTimedOutEventAttributes()
		return fmt.Sprintf(" %s failure=%q cause=%q retry=%s", types[a.GetScheduledEventId()], a.GetFailure().GetMessage(),
			a.GetFailure().GetCause().GetMessage(), a.GetRetryState())
	case ev.GetActivityTaskCanceledEventAttributes() != nil:
		return " " + types[ev.GetActivityTaskCanceledEventAttributes().GetScheduledEventId()]
	case ev.GetWorkflowTaskCompletedEventAttributes() != nil:
		return " identity=" + ev.GetWorkflowTaskCompletedEventAttributes().GetIdentity()
	case ev.GetWorkflowTaskTimedOutEventAttributes() != nil:
		return " " + ev.GetWorkflowTaskTimedOutEventAttributes().GetTimeoutType().String()
	case ev.GetWorkflowTaskFailedEventAttributes() != nil:
		a := ev.GetWorkflowTaskFailedEventAttributes()
		return fmt.Sprintf(" cause=%s %q", a.GetCause(), a.GetFailure().GetMessage())
	case ev.GetWorkflowExecutionSignaledEventAttributes() != nil:
		return " " + ev.GetWorkflowExecutionSignaledEventAttributes().GetSignalName()
	case ev.GetWorkflowExecutionUpdateAcceptedEventAttributes() != nil:
		return " " + ev.GetWorkflowExecutionUpdateAcceptedEventAttributes().GetAcceptedRequest().GetInput().GetName()
	case ev.GetTimerStartedEventAttributes() != nil:
		return " " + ev.GetTimerStartedEventAttributes().GetStartToFireTimeout().AsDuration().String()
	case ev.GetWorkflowExecutionTerminatedEventAttributes() != nil:
		return " " + ev.GetWorkflowExecutionTerminatedEventAttributes().GetReason()
	}
	return ""
}
