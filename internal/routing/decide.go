package routing

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/switchboard/switchboard/ent"
	"github.com/switchboard/switchboard/ent/conversation"
	"github.com/switchboard/switchboard/ent/routingpolicy"
	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/schematype"
)

// The pure part of routing: which skills a conversation needs, which
// agents may take it, in what order they are tried, and the queue order.

// Candidate is an agent as routing sees it.
type Candidate struct {
	ID       gid.ID
	Load     int
	Capacity int
	Skills   map[string]int // skill -> level (0 when the agent gave none)
	Teams    map[gid.ID]bool
}

// ratio is the agent's load relative to capacity.
func (c *Candidate) ratio() float64 {
	if c.Capacity <= 0 {
		return 1
	}
	return float64(c.Load) / float64(c.Capacity)
}

// Free reports whether the agent has room for one more conversation.
func (c *Candidate) Free() bool { return c.Load < c.Capacity }

// Subject is what skill rules look at in a conversation.
type Subject struct {
	TagIDs     []gid.ID
	LastText   string
	Attributes map[string]any
}

// RequiredSkills derives a conversation's required skills from the rules
// that match it: skill -> least level (0: any level).
func RequiredSkills(rules []schematype.SkillRule, s Subject) map[string]int {
	out := map[string]int{}
	for _, r := range rules {
		if !matches(r.When, s) {
			continue
		}
		lvl := 0
		if r.MinLevel != nil {
			lvl = *r.MinLevel
		}
		if cur, ok := out[r.Skill]; !ok || lvl > cur {
			out[r.Skill] = lvl
		}
	}
	return out
}

func matches(w *schematype.SkillRuleWhen, s Subject) bool {
	if w == nil {
		return true
	}
	if len(w.TagIDs) > 0 {
		found := false
		for _, want := range w.TagIDs {
			for _, have := range s.TagIDs {
				found = found || string(have) == want
			}
		}
		if !found {
			return false
		}
	}
	if len(w.Keywords) > 0 {
		text := strings.ToLower(s.LastText)
		found := false
		for _, k := range w.Keywords {
			found = found || (k != "" && strings.Contains(text, strings.ToLower(k)))
		}
		if !found {
			return false
		}
	}
	if a := w.CustomerAttribute; a != nil {
		v, ok := s.Attributes[a.Name]
		if !ok || fmt.Sprint(v) != a.Equals {
			return false
		}
	}
	return true
}

// Eligible reports whether an agent may receive a conversation: room
// below capacity, in the team (when there is one), with every required
// skill at its level.
func Eligible(c *Candidate, team *gid.ID, required map[string]int) bool {
	if !c.Free() {
		return false
	}
	if team != nil && !c.Teams[*team] {
		return false
	}
	for skill, lvl := range required {
		have, ok := c.Skills[skill]
		if !ok || have < lvl {
			return false
		}
	}
	return true
}

// Members are a channel's members (see internal/access): its agents and
// teams. A nil *Members (a channel without members) admits everyone.
type Members struct {
	Agents map[gid.ID]bool
	Teams  map[gid.ID]bool
}

// Admit reports whether the agent is a member, directly or through a team.
func (m *Members) Admit(c *Candidate) bool {
	if m == nil || m.Agents[c.ID] {
		return true
	}
	for t := range c.Teams {
		if m.Teams[t] {
			return true
		}
	}
	return false
}

// Order sorts eligible agents into the order a strategy tries them.
// last is the agent who got the previous conversation (round robin).
func Order(strategy routingpolicy.Strategy, cands []*Candidate, required map[string]int, last *gid.ID) []*Candidate {
	out := append([]*Candidate(nil), cands...)
	byID := func(i, j int) bool { return out[i].ID < out[j].ID }
	switch strategy {
	case routingpolicy.StrategyROUND_ROBIN:
		sort.Slice(out, byID)
		if last != nil {
			// Start with the first agent after the last one, wrapping.
			i := sort.Search(len(out), func(i int) bool { return out[i].ID > *last })
			out = append(out[i:], out[:i]...)
		}
	case routingpolicy.StrategySKILLS:
		level := func(c *Candidate) int {
			n := 0
			for skill := range required {
				n += c.Skills[skill]
			}
			return n
		}
		sort.SliceStable(out, func(i, j int) bool {
			if li, lj := level(out[i]), level(out[j]); li != lj {
				return li > lj
			}
			return lessBusy(out[i], out[j])
		})
	default: // LEAST_BUSY
		sort.SliceStable(out, func(i, j int) bool { return lessBusy(out[i], out[j]) })
	}
	return out
}

func lessBusy(a, b *Candidate) bool {
	if ra, rb := a.ratio(), b.ratio(); ra != rb {
		return ra < rb
	}
	if a.Load != b.Load {
		return a.Load < b.Load
	}
	return a.ID < b.ID
}

// priorityRank orders priorities, URGENT highest.
func priorityRank(p conversation.Priority) int {
	switch p {
	case conversation.PriorityURGENT:
		return 3
	case conversation.PriorityHIGH:
		return 2
	case conversation.PriorityNORMAL:
		return 1
	}
	return 0
}

// Waiting is a conversation in the queue with what orders it.
type Waiting struct {
	Conv            *ent.Conversation
	VIP             bool
	ChannelPriority int
}

// Since is when the conversation started waiting.
func (w *Waiting) Since() time.Time {
	if w.Conv.WaitingSince != nil {
		return *w.Conv.WaitingSince
	}
	return w.Conv.CreatedAt
}

// SortQueue puts waiting conversations in assignment order: priority, VIP
// before non-VIP, channel priority, longest waiting.
func SortQueue(q []*Waiting) {
	sort.SliceStable(q, func(i, j int) bool {
		a, b := q[i], q[j]
		if pa, pb := priorityRank(a.Conv.Priority), priorityRank(b.Conv.Priority); pa != pb {
			return pa > pb
		}
		if a.VIP != b.VIP {
			return a.VIP
		}
		if a.ChannelPriority != b.ChannelPriority {
			return a.ChannelPriority > b.ChannelPriority
		}
		if sa, sb := a.Since(), b.Since(); !sa.Equal(sb) {
			return sa.Before(sb)
		}
		return a.Conv.ID < b.Conv.ID
	})
}
