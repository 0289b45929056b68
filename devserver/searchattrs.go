package devserver

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
)

// Tempest's custom search attributes, set by the experiment workflow and
// used to find runs in visibility queries and the Web UI.
const (
	// SearchAttrExperiment is the experiment's name (Keyword).
	SearchAttrExperiment = "TempestExperiment"
	// SearchAttrVerdict is the run's verdict, set when it ends (Keyword).
	SearchAttrVerdict = "TempestVerdict"
	// SearchAttrTarget lists the targets faults were injected into
	// (KeywordList).
	SearchAttrTarget = "TempestTarget"
	// SearchAttrCampaign is the campaign's name, on the campaign and on
	// every experiment it runs (Keyword).
	SearchAttrCampaign = "TempestCampaign"
)

// TempestSearchAttributes returns a new map of Tempest's search attributes,
// ready for Config.SearchAttributes.
func TempestSearchAttributes() map[string]enumspb.IndexedValueType {
	return map[string]enumspb.IndexedValueType{
		SearchAttrExperiment: enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchAttrVerdict:    enumspb.INDEXED_VALUE_TYPE_KEYWORD,
		SearchAttrTarget:     enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST,
		SearchAttrCampaign:   enumspb.INDEXED_VALUE_TYPE_KEYWORD,
	}
}

// searchAttributeVisibleInterval is how often ensureSearchAttributes polls
// until newly added attributes are accepted by visibility queries.
const searchAttributeVisibleInterval = 50 * time.Millisecond

// ensureSearchAttributes registers every attribute in want on namespace ns
// that is not there yet, and returns once all of them are usable in
// visibility queries. An attribute that exists with another type, or that
// clashes with a system attribute, is an error.
func ensureSearchAttributes(ctx context.Context, c client.Client, ns string, want map[string]enumspb.IndexedValueType) error {
	if len(want) == 0 {
		return nil
	}
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: ns})
	if err != nil {
		return fmt.Errorf("devserver: list search attributes of %q: %w", ns, err)
	}
	missing := map[string]enumspb.IndexedValueType{}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		typ := want[name]
		if sysType, ok := have.GetSystemAttributes()[name]; ok {
			return fmt.Errorf("devserver: search attribute %q is a system attribute of type %v", name, sysType)
		}
		existing, ok := have.GetCustomAttributes()[name]
		switch {
		case !ok:
			missing[name] = typ
		case existing != typ:
			return fmt.Errorf("devserver: search attribute %q exists in %q with type %v, want %v", name, ns, existing, typ)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        ns,
		SearchAttributes: missing,
	}); err != nil {
		return fmt.Errorf("devserver: add search attributes to %q: %w", ns, err)
	}
	for _, name := range slices.Sorted(maps.Keys(missing)) {
		if err := waitQueryable(ctx, c, ns, name); err != nil {
			return err
		}
	}
	return nil
}

// waitQueryable polls until a visibility query naming attribute is
// accepted on ns (the namespace cache picks new attributes up lazily).
func waitQueryable(ctx context.Context, c client.Client, ns, attribute string) error {
	query := fmt.Sprintf("`%s` IS NULL", attribute)
	ticker := time.NewTicker(searchAttributeVisibleInterval)
	defer ticker.Stop()
	for {
		_, err := c.WorkflowService().CountWorkflowExecutions(ctx, &workflowservice.CountWorkflowExecutionsRequest{
			Namespace: ns,
			Query:     query,
		})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devserver: search attribute %q not queryable in %q: %w (last error: %w)", attribute, ns, ctx.Err(), err)
		case <-ticker.C:
		}
	}
}
