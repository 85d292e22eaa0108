package routing

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/routingpolicy"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
)

func lvl(n int) *int { return &n }

func TestRequiredSkills(t *testing.T) {
	subject := Subject{
		TagIDs:     []gid.ID{"tag_billing", "tag_vip"},
		LastText:   "My INVOICE is wrong",
		Attributes: map[string]any{"plan": "enterprise", "seats": float64(3), "beta": true},
	}
	tags := func(ids ...string) *schematype.SkillRuleWhen { return &schematype.SkillRuleWhen{TagIDs: ids} }
	words := func(ks ...string) *schematype.SkillRuleWhen { return &schematype.SkillRuleWhen{Keywords: ks} }
	attr := func(name, equals string) *schematype.SkillRuleWhen {
		return &schematype.SkillRuleWhen{CustomerAttribute: &schematype.AttributeCondition{Name: name, Equals: equals}}
	}
	for _, c := range []struct {
		name  string
		rules []schematype.SkillRule
		want  map[string]int
	}{
		{"no rules", nil, map[string]int{}},
		{"no when applies always, level 0 without a level",
			[]schematype.SkillRule{{Skill: "english"}, {Skill: "french", MinLevel: lvl(4)}},
			map[string]int{"english": 0, "french": 4}},
		{"tag present", []schematype.SkillRule{{Skill: "billing", When: tags("tag_other", "tag_billing")}}, map[string]int{"billing": 0}},
		{"tag absent", []schematype.SkillRule{{Skill: "billing", When: tags("tag_other")}}, map[string]int{}},
		{"keyword in any case", []schematype.SkillRule{{Skill: "billing", When: words("refund", "invoice")}}, map[string]int{"billing": 0}},
		{"keyword written in upper case", []schematype.SkillRule{{Skill: "billing", When: words("WRONG")}}, map[string]int{"billing": 0}},
		{"keyword absent", []schematype.SkillRule{{Skill: "billing", When: words("refund")}}, map[string]int{}},
		{"an empty keyword matches nothing", []schematype.SkillRule{{Skill: "billing", When: words("")}}, map[string]int{}},
		{"attribute equal", []schematype.SkillRule{{Skill: "sales", When: attr("plan", "enterprise")}}, map[string]int{"sales": 0}},
		{"attribute number as text", []schematype.SkillRule{{Skill: "sales", When: attr("seats", "3")}}, map[string]int{"sales": 0}},
		{"attribute bool as text", []schematype.SkillRule{{Skill: "sales", When: attr("beta", "true")}}, map[string]int{"sales": 0}},
		{"attribute different", []schematype.SkillRule{{Skill: "sales", When: attr("plan", "free")}}, map[string]int{}},
		{"attribute missing", []schematype.SkillRule{{Skill: "sales", When: attr("region", "")}}, map[string]int{}},
		{"all conditions hold", []schematype.SkillRule{{Skill: "vip", When: &schematype.SkillRuleWhen{
			TagIDs: []string{"tag_vip"}, Keywords: []string{"invoice"},
			CustomerAttribute: &schematype.AttributeCondition{Name: "plan", Equals: "enterprise"},
		}}}, map[string]int{"vip": 0}},
		{"one condition fails", []schematype.SkillRule{{Skill: "vip", When: &schematype.SkillRuleWhen{
			TagIDs: []string{"tag_vip"}, Keywords: []string{"invoice"},
			CustomerAttribute: &schematype.AttributeCondition{Name: "plan", Equals: "free"},
		}}}, map[string]int{}},
		{"max level wins, higher last", []schematype.SkillRule{
			{Skill: "billing", MinLevel: lvl(2)}, {Skill: "billing", MinLevel: lvl(5), When: tags("tag_billing")},
		}, map[string]int{"billing": 5}},
		{"max level wins, higher first", []schematype.SkillRule{
			{Skill: "billing", MinLevel: lvl(5)}, {Skill: "billing"}, {Skill: "billing", MinLevel: lvl(3)},
		}, map[string]int{"billing": 5}},
		{"a rule that does not match does not raise the level", []schematype.SkillRule{
			{Skill: "billing", MinLevel: lvl(2)}, {Skill: "billing", MinLevel: lvl(9), When: words("refund")},
		}, map[string]int{"billing": 2}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := RequiredSkills(c.rules, subject); !maps.Equal(got, c.want) {
				t.Fatalf("RequiredSkills = %v, want %v", got, c.want)
			}
		})
	}
}

func TestEligible(t *testing.T) {
	team, other := gid.ID("team_a"), gid.ID("team_b")
	agent := func(load, capacity int) *Candidate {
		return &Candidate{ID: "agt_1", Load: load, Capacity: capacity,
			Skills: map[string]int{"billing": 3, "english": 0}, Teams: map[gid.ID]bool{team: true}}
	}
	for _, c := range []struct {
		name     string
		cand     *Candidate
		team     *gid.ID
		required map[string]int
		want     bool
	}{
		{"room, no team, no skills", agent(2, 3), nil, nil, true},
		{"at capacity", agent(3, 3), nil, nil, false},
		{"over capacity", agent(4, 3), nil, nil, false},
		{"no capacity", agent(0, 0), nil, nil, false},
		{"in the team", agent(0, 3), &team, nil, true},
		{"not in the team", agent(0, 3), &other, nil, false},
		{"skill above the level", agent(0, 3), nil, map[string]int{"billing": 2}, true},
		{"skill at the level", agent(0, 3), nil, map[string]int{"billing": 3}, true},
		{"skill below the level", agent(0, 3), nil, map[string]int{"billing": 4}, false},
		{"skill without a level, any level", agent(0, 3), nil, map[string]int{"english": 0}, true},
		{"skill without a level, a level required", agent(0, 3), nil, map[string]int{"english": 1}, false},
		{"missing skill", agent(0, 3), nil, map[string]int{"french": 0}, false},
		{"every skill", agent(0, 3), &team, map[string]int{"billing": 1, "english": 0}, true},
		{"one skill of two missing", agent(0, 3), &team, map[string]int{"billing": 1, "french": 0}, false},
		{"full, though skilled and in the team", agent(3, 3), &team, map[string]int{"billing": 1}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Eligible(c.cand, c.team, c.required); got != c.want {
				t.Fatalf("Eligible = %v, want %v", got, c.want)
			}
		})
	}
}

func cand(id string, load, capacity int, skills map[string]int) *Candidate {
	return &Candidate{ID: gid.ID(id), Load: load, Capacity: capacity, Skills: skills, Teams: map[gid.ID]bool{}}
}

func ids(cs []*Candidate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c.ID)
	}
	return out
}

func TestOrder(t *testing.T) {
	id := func(s string) *gid.ID { v := gid.ID(s); return &v }
	busy := []*Candidate{
		cand("a", 2, 4, nil),  // 0.5
		cand("b", 1, 4, nil),  // 0.25
		cand("c", 2, 8, nil),  // 0.25, load 2
		cand("d", 0, 5, nil),  // 0
		cand("e", 1, 4, nil),  // 0.25, load 1, after b
		cand("f", 3, 10, nil), // 0.3
	}
	rr := []*Candidate{cand("c", 0, 5, nil), cand("a", 4, 5, nil), cand("d", 0, 5, nil), cand("b", 0, 5, nil)}
	skilled := []*Candidate{
		cand("a", 0, 5, map[string]int{"billing": 2, "english": 1}),                // 3
		cand("b", 3, 5, map[string]int{"billing": 5}),                              // 5
		cand("c", 1, 5, map[string]int{"billing": 4, "english": 1, "cooking": 10}), // 5, less busy than b
		cand("d", 0, 5, map[string]int{"billing": 1}),                              // 1
		cand("e", 0, 5, map[string]int{"billing": 3, "english": 0}),                // 3, same as a
	}
	required := map[string]int{"billing": 0, "english": 0}
	for _, c := range []struct {
		name     string
		strategy routingpolicy.Strategy
		cands    []*Candidate
		required map[string]int
		last     *gid.ID
		want     []string
	}{
		{"least busy: ratio, then load, then id", routingpolicy.StrategyLEAST_BUSY, busy, nil, nil, []string{"d", "b", "e", "c", "f", "a"}},
		{"least busy ignores the last agent", routingpolicy.StrategyLEAST_BUSY, busy, nil, id("d"), []string{"d", "b", "e", "c", "f", "a"}},
		{"least busy, nobody", routingpolicy.StrategyLEAST_BUSY, nil, nil, nil, []string{}},
		{"round robin without a last agent: by id", routingpolicy.StrategyROUND_ROBIN, rr, nil, nil, []string{"a", "b", "c", "d"}},
		{"round robin after b", routingpolicy.StrategyROUND_ROBIN, rr, nil, id("b"), []string{"c", "d", "a", "b"}},
		{"round robin after the last id wraps", routingpolicy.StrategyROUND_ROBIN, rr, nil, id("d"), []string{"a", "b", "c", "d"}},
		{"round robin after an agent no longer there", routingpolicy.StrategyROUND_ROBIN, rr, nil, id("bb"), []string{"c", "d", "a", "b"}},
		{"round robin after an id past every agent", routingpolicy.StrategyROUND_ROBIN, rr, nil, id("z"), []string{"a", "b", "c", "d"}},
		{"round robin after an id before every agent, load aside", routingpolicy.StrategyROUND_ROBIN, rr, nil, id("0"), []string{"a", "b", "c", "d"}},
		{"skills: summed levels of the required skills, then least busy", routingpolicy.StrategySKILLS, skilled, required, nil, []string{"c", "b", "a", "e", "d"}},
		{"skills without required skills: least busy", routingpolicy.StrategySKILLS, skilled, nil, nil, []string{"a", "d", "e", "c", "b"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := ids(c.cands)
			got := ids(Order(c.strategy, c.cands, c.required, c.last))
			if !slices.Equal(got, c.want) {
				t.Fatalf("Order = %v, want %v", got, c.want)
			}
			if after := ids(c.cands); !slices.Equal(before, after) {
				t.Fatalf("Order reordered its input: %v, was %v", after, before)
			}
		})
	}
}

func TestSortQueue(t *testing.T) {
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	at := func(min int) *time.Time { v := base.Add(time.Duration(min) * time.Minute); return &v }
	conv := func(id string, p conversation.Priority, waiting *time.Time, created int) *ent.Conversation {
		return &ent.Conversation{ID: gid.ID(id), Priority: p, WaitingSince: waiting, CreatedAt: *at(created)}
	}
	const (
		low, normal  = conversation.PriorityLOW, conversation.PriorityNORMAL
		high, urgent = conversation.PriorityHIGH, conversation.PriorityURGENT
	)
	for _, c := range []struct {
		name string
		in   []*Waiting
		want []string
	}{
		{"priority: urgent, high, normal, low", []*Waiting{
			{Conv: conv("low", low, at(0), 0)}, {Conv: conv("normal", normal, at(0), 0)},
			{Conv: conv("urgent", urgent, at(9), 9)}, {Conv: conv("high", high, at(0), 0)},
		}, []string{"urgent", "high", "normal", "low"}},
		{"priority before VIP and channel priority", []*Waiting{
			{Conv: conv("vip-normal", normal, at(0), 0), VIP: true, ChannelPriority: 100},
			{Conv: conv("high", high, at(5), 5)},
		}, []string{"high", "vip-normal"}},
		{"VIP first within a priority", []*Waiting{
			{Conv: conv("plain", normal, at(0), 0), ChannelPriority: 100},
			{Conv: conv("vip", normal, at(5), 5), VIP: true},
		}, []string{"vip", "plain"}},
		{"higher channel priority first, negative last", []*Waiting{
			{Conv: conv("zero", normal, at(0), 0)},
			{Conv: conv("minus", normal, at(0), 0), ChannelPriority: -5},
			{Conv: conv("ten", normal, at(3), 3), ChannelPriority: 10},
		}, []string{"ten", "zero", "minus"}},
		{"longest waiting first", []*Waiting{
			{Conv: conv("recent", normal, at(10), 0)}, {Conv: conv("oldest", normal, at(1), 5)},
			{Conv: conv("middle", normal, at(4), 2)},
		}, []string{"oldest", "middle", "recent"}},
		{"created at when not waiting since", []*Waiting{
			{Conv: conv("waits-3", normal, at(3), 0)}, {Conv: conv("created-2", normal, nil, 2)},
			{Conv: conv("created-4", normal, nil, 4)},
		}, []string{"created-2", "waits-3", "created-4"}},
		{"then id", []*Waiting{
			{Conv: conv("c", normal, at(1), 1)}, {Conv: conv("a", normal, nil, 1)}, {Conv: conv("b", normal, at(1), 0)},
		}, []string{"a", "b", "c"}},
		{"every key at once", []*Waiting{
			{Conv: conv("low-vip", low, at(0), 0), VIP: true, ChannelPriority: 9},
			{Conv: conv("urgent-late", urgent, at(30), 30)},
			{Conv: conv("urgent-vip", urgent, at(40), 40), VIP: true},
			{Conv: conv("urgent-chan", urgent, at(50), 50), ChannelPriority: 1},
			{Conv: conv("urgent-early", urgent, nil, 20)},
		}, []string{"urgent-vip", "urgent-chan", "urgent-early", "urgent-late", "low-vip"}},
		{"empty", nil, []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := slices.Clone(c.in)
			SortQueue(q)
			got := make([]string, len(q))
			for i, w := range q {
				got[i] = string(w.Conv.ID)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("SortQueue = %v, want %v", got, c.want)
			}
		})
	}
}

func TestWaitingSince(t *testing.T) {
	created := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	waiting := created.Add(time.Hour)
	if got := (&Waiting{Conv: &ent.Conversation{CreatedAt: created}}).Since(); !got.Equal(created) {
		t.Fatalf("Since without WaitingSince = %v, want the creation %v", got, created)
	}
	if got := (&Waiting{Conv: &ent.Conversation{CreatedAt: created, WaitingSince: &waiting}}).Since(); !got.Equal(waiting) {
		t.Fatalf("Since = %v, want %v", got, waiting)
	}
}
