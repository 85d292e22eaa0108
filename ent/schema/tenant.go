package schema

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"entgo.io/ent"
	"entgo.io/ent/entql"

	gen "github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/store"
	"github.com/switchboard/switchboard/internal/viewer"
)

// Workspace confinement lives here and nowhere else:
//   - every query, update and delete of a workspace-owned entity is filtered
//     by the actor's workspace (so another workspace's row is simply missing);
//   - every create is stamped with the actor's workspace;
//   - every id a mutation links to (a customer, channel, agent, tag...) must
//     be visible to the actor, so a foreign id cannot be smuggled in as an
//     edge either.
// Code running without an actor (start-up, sign-in, background workers)
// must say so with privacy.DecisionContext(ctx, privacy.Allow).

// tenantPolicy filters by the actor's workspace.
func tenantPolicy() ent.Policy {
	rule := privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		a := viewer.FromContext(ctx)
		if a == nil {
			return privacy.Denyf("no actor in context")
		}
		wf, ok := f.(interface{ WhereWorkspaceID(entql.StringP) })
		if !ok {
			return privacy.Denyf("%T is not workspace-owned", f)
		}
		wf.WhereWorkspaceID(entql.StringEQ(string(a.WorkspaceID)))
		return privacy.Skip
	})
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule},
		Mutation: privacy.MutationPolicy{rule},
	}
}

// workspacePolicy lets an actor see its own workspace, and only admins
// change it. Workspaces are created by sign-up and start-up only.
func workspacePolicy() ent.Policy {
	rule := privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
		a := viewer.FromContext(ctx)
		if a == nil {
			return privacy.Denyf("no actor in context")
		}
		wf, ok := f.(interface{ WhereID(entql.StringP) })
		if !ok {
			return privacy.Denyf("%T is not a workspace", f)
		}
		wf.WhereID(entql.StringEQ(string(a.WorkspaceID)))
		return privacy.Skip
	})
	adminOnly := privacy.MutationRuleFunc(func(ctx context.Context, m gen.Mutation) error {
		a := viewer.FromContext(ctx)
		if a == nil || m.Op().Is(ent.OpCreate) || !a.HasRole(viewer.RoleAdmin) {
			return privacy.Denyf("only admins change their workspace")
		}
		return privacy.Skip
	})
	return privacy.Policy{
		Query:    privacy.QueryPolicy{rule},
		Mutation: privacy.MutationPolicy{adminOnly, rule},
	}
}

// tenantHook stamps the workspace on creates and checks referenced ids.
func tenantHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		a := viewer.FromContext(ctx)
		if a == nil {
			if m.Op().Is(ent.OpCreate) {
				if _, ok := m.Field("workspace_id"); !ok {
					return nil, fmt.Errorf("schema: %s created without a workspace", m.Type())
				}
			}
			return next.Mutate(ctx, m)
		}
		if m.Op().Is(ent.OpCreate) {
			if err := m.SetField("workspace_id", a.WorkspaceID); err != nil {
				return nil, fmt.Errorf("schema: stamp workspace: %w", err)
			}
		}
		if err := checkEdgeIDs(ctx, m); err != nil {
			return nil, err
		}
		return next.Mutate(ctx, m)
	})
}

// checkEdgeIDs checks that every id the mutation links to, or unlinks
// from, is visible: removing a foreign id is NOT_FOUND like adding one, as
// for an id that does not exist.
func checkEdgeIDs(ctx context.Context, m ent.Mutation) error {
	cm, ok := m.(interface{ Client() *gen.Client })
	if !ok {
		return fmt.Errorf("schema: %T has no client", m)
	}
	targets := edgeTargets()[m.Type()]
	check := func(names []string, idsOf func(string) []ent.Value) error {
		for _, name := range names {
			if name == "workspace" {
				continue
			}
			values := idsOf(name)
			if len(values) == 0 {
				continue
			}
			ids := make([]gid.ID, 0, len(values))
			for _, v := range values {
				id, ok := v.(gid.ID)
				if !ok {
					return fmt.Errorf("schema: edge %s.%s has id of type %T", m.Type(), name, v)
				}
				ids = append(ids, id)
			}
			typ, ok := targets[name]
			if !ok {
				return fmt.Errorf("schema: unknown edge %s.%s", m.Type(), name)
			}
			if err := store.CheckVisible(ctx, cm.Client(), typ, name, ids); err != nil {
				return err
			}
		}
		return nil
	}
	if err := check(m.AddedEdges(), m.AddedIDs); err != nil {
		return err
	}
	return check(m.RemovedEdges(), m.RemovedIDs)
}

// allSchemas lists the entities whose edges the tenant hook checks.
var allSchemas = []ent.Interface{
	Workspace{}, Agent{}, Team{}, Channel{}, Customer{}, CustomerIdentity{},
	Conversation{}, Message{}, Tag{}, ApiToken{}, Event{}, AgentPresence{}, ConversationRead{}, OutboxItem{},
	CustomerMerge{}, CustomerDuplicate{}, AttributeDefinition{}, ConversationActivity{}, RoutingPolicy{},
	ChannelState{}, PendingReceipt{}, File{}, Call{}, QuickReply{}, AutoReplyConfig{}, AutoReplySend{}, AutomationRule{}, AutomationRuleRun{},
}

// edgeTargets maps entity type -> edge name -> target entity type, read
// from the schema itself.
var edgeTargets = sync.OnceValue(func() map[string]map[string]string {
	out := make(map[string]map[string]string, len(allSchemas))
	for _, s := range allSchemas {
		typ := reflect.TypeOf(s).Name()
		out[typ] = map[string]string{}
		for _, e := range s.Edges() {
			d := e.Descriptor()
			out[typ][d.Name] = d.Type
		}
	}
	return out
})
