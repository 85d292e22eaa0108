package customers

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/call"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/conversationactivity"
	"github.com/switchboard/switchboard/ent/customer"
	"github.com/switchboard/switchboard/ent/customerduplicate"
	"github.com/switchboard/switchboard/ent/customeridentity"
	"github.com/switchboard/switchboard/ent/message"
	"github.com/switchboard/switchboard/ent/predicate"
	"github.com/switchboard/switchboard/ent/tag"
	"github.com/switchboard/switchboard/internal/apperr"
	"github.com/switchboard/switchboard/internal/events"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/viewer"
)

// A merge moves everything of the secondary customer to the primary in one
// transaction and leaves the secondary as a tombstone pointing at the
// primary. Its snapshot records exactly what moved and what changed, which
// is what unmerging puts back.

// notesSeparator joins the secondary's notes to the primary's.
const notesSeparator = "\n\n---\n"

// Merge merges secondary into primary on an agent's request.
func (s *Service) Merge(ctx context.Context, primaryID, secondaryID gid.ID) (*ent.CustomerMerge, error) {
	return s.merge(ctx, primaryID, secondaryID, false)
}

func (s *Service) merge(ctx context.Context, primaryID, secondaryID gid.ID, automatic bool) (*ent.CustomerMerge, error) {
	c := s.db(ctx)
	if primaryID == secondaryID {
		return nil, apperr.Invalid("secondaryID", "a customer cannot be merged into itself")
	}
	primary, secondary, err := s.pair(ctx, primaryID, secondaryID)
	if err != nil {
		return nil, err
	}
	switch {
	case primary == nil:
		return nil, &apperr.Error{Code: apperr.NotFound, Field: "primaryID", Message: "no such customer"}
	case secondary == nil:
		return nil, &apperr.Error{Code: apperr.NotFound, Field: "secondaryID", Message: "no such customer"}
	case primary.MergedIntoID != nil:
		return nil, apperr.New(apperr.Conflict, "the primary %s was merged into %s; merge into that customer", primary.ID, *primary.MergedIntoID)
	case secondary.MergedIntoID != nil:
		return nil, apperr.New(apperr.Conflict, "the secondary %s was already merged into %s", secondary.ID, *secondary.MergedIntoID)
	}

	snap := &schematype.MergeSnapshot{
		Secondary:  state(secondary),
		Primary:    state(primary),
		AddedAttrs: map[string]any{},
		Conflicts:  map[string]any{},
	}
	convIDs, err := c.Conversation.Query().Where(conversation.CustomerID(secondary.ID)).IDs(ctx)
	if err != nil {
		return nil, err
	}
	identIDs, displaced, err := s.mergedIdentities(ctx, primary.ID, secondary.ID)
	if err != nil {
		return nil, err
	}
	snap.Conversations, snap.Identities, snap.Displaced = strs(convIDs), strs(identIDs), strs(displaced)
	if err := s.moveConversations(ctx, convIDs, primary.ID); err != nil {
		return nil, err
	}
	if err := s.moveIdentities(ctx, displaced, secondary.ID); err != nil {
		return nil, err
	}
	if err := s.moveIdentities(ctx, identIDs, primary.ID); err != nil {
		return nil, err
	}

	// The primary: tags it lacked, attributes it lacked (conflicts keep
	// the primary's value), the secondary's notes appended, a name, an
	// avatar and VIP when it had none.
	upd := c.Customer.UpdateOne(primary)
	have := map[string]bool{}
	for _, t := range primary.Edges.Tags {
		have[string(t.ID)] = true
	}
	for _, t := range secondary.Edges.Tags {
		if !have[string(t.ID)] {
			snap.AddedTags = append(snap.AddedTags, string(t.ID))
			upd.AddTagIDs(t.ID)
		}
	}
	attrs := maps.Clone(primary.CustomAttributes)
	if attrs == nil {
		attrs = map[string]any{}
	}
	for k, v := range secondary.CustomAttributes {
		pv, ok := attrs[k]
		switch {
		case !ok:
			attrs[k] = v
			snap.AddedAttrs[k] = v
		case !reflect.DeepEqual(pv, v):
			snap.Conflicts[k] = v
		}
	}
	upd.SetCustomAttributes(attrs)
	if n := strings.TrimSpace(secondary.Notes); n != "" {
		if primary.Notes == "" {
			snap.AppendedNotes = secondary.Notes
		} else {
			snap.AppendedNotes = notesSeparator + secondary.Notes
		}
		upd.SetNotes(primary.Notes + snap.AppendedNotes)
	}
	if primary.Name == "" && secondary.Name != "" {
		upd.SetName(secondary.Name)
	}
	if primary.AvatarURL == "" && secondary.AvatarURL != "" {
		upd.SetAvatarURL(secondary.AvatarURL)
	}
	if secondary.Vip && !primary.Vip {
		upd.SetVip(true)
	}
	if err := upd.Exec(ctx); err != nil {
		return nil, err
	}
	// The secondary becomes a tombstone without tags (its own fields stay,
	// and are in the snapshot).
	if err := c.Customer.UpdateOne(secondary).ClearTags().SetMergedIntoID(primary.ID).Exec(ctx); err != nil {
		return nil, err
	}

	create := c.CustomerMerge.Create().
		SetPrimaryID(primary.ID).SetSecondaryID(secondary.ID).
		SetAutomatic(automatic).SetMergedAt(s.now()).SetSnapshot(snap)
	if a := viewer.FromContext(ctx); !automatic && a != nil && a.AgentID != "" {
		create.SetMergedByID(a.AgentID)
	}
	m, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	// A suggestion about this pair is settled; any other open one about
	// the secondary is closed: that customer is gone (suggestions about
	// the primary are made afresh when an identity shows up again).
	err = c.CustomerDuplicate.Update().
		Where(customerduplicate.StatusEQ(customerduplicate.StatusOPEN), pairOf(primary.ID, secondary.ID)).
		SetStatus(customerduplicate.StatusACCEPTED).SetResolvedAt(s.now()).
		SetNillableResolvedByID(agentOf(ctx)).
		Exec(ctx)
	if err != nil {
		return nil, err
	}
	err = c.CustomerDuplicate.Update().
		Where(customerduplicate.StatusEQ(customerduplicate.StatusOPEN),
			customerduplicate.Or(customerduplicate.CustomerID(secondary.ID), customerduplicate.DuplicateID(secondary.ID))).
		SetStatus(customerduplicate.StatusCLOSED).SetResolvedAt(s.now()).
		Exec(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.record(ctx, events.Event{Type: events.CustomerMerged, CustomerID: primary.ID, MergeID: m.ID}); err != nil {
		return nil, err
	}
	for _, id := range convIDs {
		ev := events.Event{Type: events.ConversationUpdated, Change: events.ChangeOther, ConversationID: id, CustomerID: primary.ID}
		if err := s.record(ctx, ev); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// pair loads two customers with their tags, locking their rows on
// PostgreSQL; either is nil when not found.
func (s *Service) pair(ctx context.Context, a, b gid.ID) (x, y *ent.Customer, err error) {
	c := s.db(ctx)
	q := c.Customer.Query().Where(customer.IDIn(a, b)).WithTags()
	if s.lockRows {
		q.ForUpdate()
	}
	rows, err := q.All(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		switch r.ID {
		case a:
			x = r
		case b:
			y = r
		}
	}
	return x, y, nil
}

// moveConversations gives conversations (with their messages',
// activity's and calls' customer) to another customer. A call on no
// conversation (one that only rang) stays with its customer.
func (s *Service) moveConversations(ctx context.Context, ids []gid.ID, to gid.ID) error {
	c := s.db(ctx)
	if len(ids) == 0 {
		return nil
	}
	if err := c.Conversation.Update().Where(conversation.IDIn(ids...)).SetCustomerID(to).Exec(ctx); err != nil {
		return err
	}
	if err := c.Message.Update().Where(message.ConversationIDIn(ids...)).SetCustomerID(to).Exec(ctx); err != nil {
		return err
	}
	if err := c.Call.Update().Where(call.ConversationIDIn(ids...)).SetCustomerID(to).Exec(ctx); err != nil {
		return err
	}
	return c.ConversationActivity.Update().Where(conversationactivity.ConversationIDIn(ids...)).SetCustomerID(to).Exec(ctx)
}

// Unmerge undoes a merge: the secondary gets back exactly what it had, and
// the primary loses what the merge gave it. What happened since (new
// conversations on the primary, edits) stays with the primary. It fails
// with CONFLICT when something the merge moved is gone or moved again.
func (s *Service) Unmerge(ctx context.Context, mergeID gid.ID) ([]*ent.Customer, error) {
	c := s.db(ctx)
	m, err := c.CustomerMerge.Get(ctx, mergeID)
	if err != nil {
		return nil, err
	}
	if m.UnmergedAt != nil {
		return nil, apperr.New(apperr.Conflict, "merge %s was already undone", m.ID)
	}
	primary, secondary, err := s.pair(ctx, m.PrimaryID, m.SecondaryID)
	if err != nil {
		return nil, err
	}
	if primary == nil || secondary == nil {
		return nil, apperr.New(apperr.Conflict, "a customer of merge %s no longer exists", m.ID)
	}
	if primary.MergedIntoID != nil {
		return nil, apperr.New(apperr.Conflict, "the primary %s has since been merged into %s; undo that merge first", primary.ID, *primary.MergedIntoID)
	}
	if secondary.MergedIntoID == nil || *secondary.MergedIntoID != primary.ID {
		return nil, apperr.New(apperr.Conflict, "the secondary %s is no longer merged into %s", secondary.ID, primary.ID)
	}
	snap := m.Snapshot
	if snap == nil {
		return nil, apperr.New(apperr.Conflict, "merge %s has no record of what moved", m.ID)
	}

	// Everything that moved must still be the primary's.
	convIDs := ids(snap.Conversations)
	if err := s.stillPrimarys(ctx, "conversation", convIDs, primary.ID, func(ids []gid.ID) (map[gid.ID]gid.ID, error) {
		rows, err := c.Conversation.Query().Where(conversation.IDIn(ids...)).Select(conversation.FieldID, conversation.FieldCustomerID).All(ctx)
		out := map[gid.ID]gid.ID{}
		for _, r := range rows {
			out[r.ID] = r.CustomerID
		}
		return out, err
	}); err != nil {
		return nil, err
	}
	identIDs := ids(snap.Identities)
	if err := s.stillPrimarys(ctx, "identity", identIDs, primary.ID, func(ids []gid.ID) (map[gid.ID]gid.ID, error) {
		rows, err := c.CustomerIdentity.Query().Where(customeridentity.IDIn(ids...)).All(ctx)
		out := map[gid.ID]gid.ID{}
		for _, r := range rows {
			out[r.ID] = r.CustomerID
		}
		return out, err
	}); err != nil {
		return nil, err
	}
	if err := s.moveConversations(ctx, convIDs, secondary.ID); err != nil {
		return nil, err
	}
	if err := s.moveIdentities(ctx, identIDs, secondary.ID); err != nil {
		return nil, err
	}
	if err := s.moveIdentities(ctx, ids(snap.Displaced), primary.ID); err != nil {
		return nil, err
	}

	// The primary loses what the merge added, where it is unchanged since.
	upd := c.Customer.UpdateOne(primary)
	if added := ids(snap.AddedTags); len(added) > 0 {
		upd.RemoveTagIDs(added...)
	}
	attrs := maps.Clone(primary.CustomAttributes)
	for k, v := range snap.AddedAttrs {
		if cur, ok := attrs[k]; ok && reflect.DeepEqual(cur, v) {
			delete(attrs, k)
		}
	}
	upd.SetCustomAttributes(attrs)
	if snap.AppendedNotes != "" && strings.HasSuffix(primary.Notes, snap.AppendedNotes) {
		upd.SetNotes(strings.TrimSuffix(primary.Notes, snap.AppendedNotes))
	}
	if snap.Primary.Name == "" && primary.Name == snap.Secondary.Name {
		upd.SetName("")
	}
	if snap.Primary.AvatarURL == "" && primary.AvatarURL == snap.Secondary.AvatarURL {
		upd.SetAvatarURL("")
	}
	if !snap.Primary.VIP && snap.Secondary.VIP && primary.Vip {
		upd.SetVip(false)
	}
	if err := upd.Exec(ctx); err != nil {
		return nil, err
	}

	// The secondary, exactly as it was (tags deleted since are gone).
	sec := snap.Secondary
	tagIDs, err := c.Tag.Query().Where(tag.IDIn(ids(sec.Tags)...)).IDs(ctx)
	if err != nil {
		return nil, err
	}
	err = c.Customer.UpdateOne(secondary).ClearMergedInto().ClearTags().AddTagIDs(tagIDs...).
		SetName(sec.Name).SetAvatarURL(sec.AvatarURL).SetVip(sec.VIP).SetNotes(sec.Notes).
		SetCustomAttributes(sec.Attributes).
		Exec(ctx)
	if err != nil {
		return nil, err
	}
	upm := c.CustomerMerge.UpdateOne(m).SetUnmergedAt(s.now())
	if a := agentOf(ctx); a != nil {
		upm.SetUnmergedByID(*a)
	}
	if err := upm.Exec(ctx); err != nil {
		return nil, err
	}
	for _, ev := range []events.Event{
		{Type: events.CustomerUnmerged, CustomerID: secondary.ID, MergeID: m.ID},
		{Type: events.CustomerUpdated, CustomerID: primary.ID},
	} {
		if err := s.record(ctx, ev); err != nil {
			return nil, err
		}
	}
	for _, id := range convIDs {
		ev := events.Event{Type: events.ConversationUpdated, Change: events.ChangeOther, ConversationID: id, CustomerID: secondary.ID}
		if err := s.record(ctx, ev); err != nil {
			return nil, err
		}
	}
	return c.Customer.Query().Where(customer.IDIn(primary.ID, secondary.ID)).
		Order(ent.Asc(customer.FieldCreatedAt), ent.Asc(customer.FieldID)).All(ctx)
}

// stillPrimarys fails with CONFLICT naming the first of ids that no longer
// exists or no longer belongs to the primary.
func (s *Service) stillPrimarys(ctx context.Context, what string, want []gid.ID, primary gid.ID,
	owners func([]gid.ID) (map[gid.ID]gid.ID, error),
) error {
	if len(want) == 0 {
		return nil
	}
	got, err := owners(want)
	if err != nil {
		return err
	}
	for _, id := range want {
		owner, ok := got[id]
		switch {
		case !ok:
			return apperr.New(apperr.Conflict, "the merge moved %s %s, which has since been deleted", what, id)
		case owner != primary:
			return apperr.New(apperr.Conflict, "the merge moved %s %s, which now belongs to customer %s", what, id, owner)
		}
	}
	return nil
}

// AcceptDuplicate merges a suggested duplicate into the customer who had
// the identity first.
func (s *Service) AcceptDuplicate(ctx context.Context, id gid.ID) (*ent.CustomerMerge, error) {
	c := s.db(ctx)
	d, err := c.CustomerDuplicate.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if d.Status != customerduplicate.StatusOPEN {
		return nil, apperr.New(apperr.Conflict, "this suggestion was already %s", strings.ToLower(string(d.Status)))
	}
	return s.merge(ctx, d.CustomerID, d.DuplicateID, false)
}

// DismissDuplicate records that two suggested customers are different
// people; the pair is not suggested again.
func (s *Service) DismissDuplicate(ctx context.Context, id gid.ID) (gid.ID, error) {
	c := s.db(ctx)
	d, err := c.CustomerDuplicate.Get(ctx, id)
	if err != nil {
		return "", err
	}
	if d.Status != customerduplicate.StatusOPEN {
		return "", apperr.New(apperr.Conflict, "this suggestion was already %s", strings.ToLower(string(d.Status)))
	}
	err = c.CustomerDuplicate.UpdateOne(d).SetStatus(customerduplicate.StatusDISMISSED).
		SetResolvedAt(s.now()).SetNillableResolvedByID(agentOf(ctx)).Exec(ctx)
	return d.ID, err
}

func (s *Service) record(ctx context.Context, ev events.Event) error {
	return s.events.Record(ctx, ev)
}

// pairOf matches a duplicate suggestion about a and b, either way round.
func pairOf(a, b gid.ID) predicate.CustomerDuplicate {
	return customerduplicate.Or(
		customerduplicate.And(customerduplicate.CustomerID(a), customerduplicate.DuplicateID(b)),
		customerduplicate.And(customerduplicate.CustomerID(b), customerduplicate.DuplicateID(a)),
	)
}

func state(c *ent.Customer) schematype.CustomerState {
	tags := make([]string, 0, len(c.Edges.Tags))
	for _, t := range c.Edges.Tags {
		tags = append(tags, string(t.ID))
	}
	sort.Strings(tags)
	attrs := c.CustomAttributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	return schematype.CustomerState{
		Name: c.Name, AvatarURL: c.AvatarURL, VIP: c.Vip, Notes: c.Notes, Attributes: attrs, Tags: tags,
	}
}

func agentOf(ctx context.Context) *gid.ID {
	if a := viewer.FromContext(ctx); a != nil && a.AgentID != "" && a.Kind != viewer.KindSystem {
		id := a.AgentID
		return &id
	}
	return nil
}

func strs(ids []gid.ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	slices.Sort(out)
	return out
}

func ids(s []string) []gid.ID {
	out := make([]gid.ID, len(s))
	for i, v := range s {
		out[i] = gid.ID(v)
	}
	return out
}
