package automation

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/automationrule"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
)

// benchRules makes n MESSAGE_RECEIVED rules of a realistic mix: a
// keyword or an expression on the text, a channel, a priority and an
// attribute compare in nested groups; none matches the benchmark's message,
// so every condition that can be evaluated is.
func benchRules(n int) *ruleSet {
	rules := make([]*ent.AutomationRule, n)
	for i := range rules {
		text := schematype.RuleCondition{Field: FieldMessageText, Operator: CmpContains, Values: []string{fmt.Sprintf("keyword%d", i)}}
		if i%4 == 0 {
			text = schematype.RuleCondition{Field: FieldMessageText, Operator: CmpMatches, Values: []string{fmt.Sprintf(`(?i)order\s+#?%d\b`, i)}}
		}
		rules[i] = &ent.AutomationRule{
			ID: gid.ID(fmt.Sprintf("aru_%d", i)), Enabled: true, Position: i, Trigger: automationrule.TriggerMESSAGE_RECEIVED,
			Conditions: schematype.RuleConditionGroup{Operator: OpOr, Groups: []schematype.RuleConditionGroup{
				{Operator: OpAnd, Conditions: []schematype.RuleCondition{
					{Field: FieldChannelKind, Operator: CmpIn, Values: []string{"api", "email"}},
					{Field: FieldPriority, Operator: CmpNotIn, Values: []string{"URGENT"}},
					text,
				}},
				{Operator: OpAnd, Conditions: []schematype.RuleCondition{
					{Field: FieldCustomerAttribute, Operator: CmpGreaterThan, Attribute: "spent", Values: []string{fmt.Sprint(1000 + i)}},
					{Field: FieldConversationTag, Operator: CmpIn, IDs: []gid.ID{gid.ID(fmt.Sprintf("tag_%d", i))}},
				}},
			}},
		}
	}
	return compile(rules)
}

func benchSnapshot() *Snapshot {
	return &Snapshot{
		ChannelID: "chn_1", ChannelKind: "api", Priority: "NORMAL", Now: time.Now(),
		Text:             "Hello, I have a question about my last order, which arrived late and damaged. Can you help?",
		Attributes:       map[string]any{"spent": 250.0, "plan": "gold"},
		ConversationTags: map[gid.ID]bool{"tag_x": true}, CustomerTags: map[gid.ID]bool{},
	}
}

// evaluateAll is the engine's per-message work without the database:
// every rule of the trigger in position order.
func evaluateAll(set *ruleSet, snap *Snapshot) int {
	matched := 0
	for _, r := range set.byTrigger[automationrule.TriggerMESSAGE_RECEIVED] {
		if r.Enabled && r.SuspendedAt == nil && Match(&r.Conditions, snap, set.rx, nil) {
			matched++
		}
	}
	return matched
}

func benchEvaluate(b *testing.B, n int) {
	set := benchRules(n)
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		snap := benchSnapshot() // a new message: its lower-cased text is made once
		start := time.Now()
		if evaluateAll(set, snap) != 0 {
			b.Fatal("a rule matched")
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkEvaluate1000Rules: 1,000 active rules per inbound message.
func BenchmarkEvaluate1000Rules(b *testing.B) { benchEvaluate(b, 1000) }

// BenchmarkEvaluate1Rule is the reference.
func BenchmarkEvaluate1Rule(b *testing.B) { benchEvaluate(b, 1) }
