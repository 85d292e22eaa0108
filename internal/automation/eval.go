package automation

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/internal/gid"
	"github.com/switchboard/switchboard/internal/render"
	"github.com/switchboard/switchboard/internal/schematype"
	"github.com/switchboard/switchboard/internal/workhours"
)

// Snapshot is what conditions look at: one conversation as loaded once
// per event, however many rules are evaluated against it.
type Snapshot struct {
	ConversationID   gid.ID
	CustomerID       gid.ID
	ChannelID        gid.ID
	ChannelKind      string
	ChannelName      string
	WorkingHours     *schematype.WorkingHours
	Now              time.Time
	Text             string // the triggering message, else the last customer message
	Status           string
	Priority         string
	AssigneeID       *gid.ID
	TeamID           *gid.ID
	VIP              bool
	Attributes       map[string]any
	CustomerTags     map[gid.ID]bool
	ConversationTags map[gid.ID]bool
	CustomerName     string
	CustomerEmail    string
	CustomerPhone    string

	lower *string // Text in lower case, made once
}

func (s *Snapshot) lowerText() string {
	if s.lower == nil {
		l := strings.ToLower(s.Text)
		s.lower = &l
	}
	return *s.lower
}

// Regexps holds a rule set's compiled expressions (compiled when the rules
// are loaded, validated when saved).
type Regexps map[string]*regexp.Regexp

// Match reports whether g holds for s; res, when not nil, receives the
// detail (testAutomationRule). An empty group holds.
func Match(g *schematype.RuleConditionGroup, s *Snapshot, rx Regexps, res *GroupResult) bool {
	or := g.Operator == OpOr
	matched := !or || (len(g.Conditions) == 0 && len(g.Groups) == 0)
	explain := res != nil
	if explain {
		res.Operator = g.Operator
		res.Conditions = []*ConditionResult{}
		res.Groups = []*GroupResult{}
	}
	for i := range g.Conditions {
		ok, detail := condition(&g.Conditions[i], s, rx, explain)
		if explain {
			res.Conditions = append(res.Conditions, &ConditionResult{Condition: g.Conditions[i], Matched: ok, Detail: detail})
		}
		if ok == or {
			matched = or
			if !explain {
				return matched
			}
		}
	}
	for i := range g.Groups {
		var sub *GroupResult
		if explain {
			sub = &GroupResult{}
			res.Groups = append(res.Groups, sub)
		}
		ok := Match(&g.Groups[i], s, rx, sub)
		if ok == or {
			matched = or
			if !explain {
				return matched
			}
		}
	}
	if explain {
		res.Matched = matched
	}
	return matched
}

// The group operators.
const (
	OpAnd = "AND"
	OpOr  = "OR"
)

// condition evaluates one condition; detail (only when explain) says what
// was compared.
func condition(c *schematype.RuleCondition, s *Snapshot, rx Regexps, explain bool) (bool, string) {
	var got string
	var ok bool
	switch c.Field {
	case FieldChannel:
		ok, got = inIDs(c, s.ChannelID), string(s.ChannelID)
	case FieldChannelKind:
		ok, got = inValues(c, s.ChannelKind), s.ChannelKind
	case FieldMessageText:
		got = s.Text
		switch c.Operator {
		case CmpContains:
			ok = len(c.Values) > 0 && strings.Contains(s.lowerText(), strings.ToLower(c.Values[0]))
		case CmpMatches:
			re := rx[first(c.Values)]
			ok = re != nil && re.MatchString(s.Text)
		}
	case FieldCustomerAttribute:
		v, set := s.Attributes[c.Attribute]
		set = set && v != nil && v != ""
		if f, isNum := v.(float64); isNum && (c.Operator == CmpGreaterThan || c.Operator == CmpLessThan) {
			ok = compareNumber(c, f) // no formatting per rule
			if explain {
				got = render.Text(v)
			}
			break
		}
		got = render.Text(v)
		ok = compareAttribute(c, got, set)
	case FieldCustomerTag:
		ok, got = anyTag(c, s.CustomerTags), fmt.Sprint(len(s.CustomerTags))+" tags"
	case FieldConversationTag:
		ok, got = anyTag(c, s.ConversationTags), fmt.Sprint(len(s.ConversationTags))+" tags"
	case FieldPriority:
		ok, got = inValues(c, s.Priority), s.Priority
	case FieldAssignee:
		ok, got = optionalID(c, s.AssigneeID)
	case FieldTeam:
		ok, got = optionalID(c, s.TeamID)
	case FieldVIP:
		ok, got = s.VIP == (c.Operator == CmpIsTrue), strconv.FormatBool(s.VIP)
	case FieldWorkingHours:
		open := workhours.Open(s.WorkingHours, s.Now)
		ok, got = open == (c.Operator == CmpIsTrue), map[bool]string{true: "inside working hours", false: "outside working hours"}[open]
	}
	if !explain {
		return ok, ""
	}
	return ok, fmt.Sprintf("%s %s: %q", c.Field, c.Operator, truncate(got, 120))
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func inIDs(c *schematype.RuleCondition, id gid.ID) bool {
	return slices.Contains(c.IDs, id) == (c.Operator != CmpNotIn)
}

func inValues(c *schematype.RuleCondition, v string) bool {
	return slices.Contains(c.Values, v) == (c.Operator != CmpNotIn)
}

func anyTag(c *schematype.RuleCondition, tags map[gid.ID]bool) bool {
	has := false
	for _, id := range c.IDs {
		if tags[id] {
			has = true
			break
		}
	}
	return has == (c.Operator != CmpNotIn)
}

func optionalID(c *schematype.RuleCondition, id *gid.ID) (bool, string) {
	got := "none"
	if id != nil {
		got = string(*id)
	}
	switch c.Operator {
	case CmpIsSet:
		return id != nil, got
	case CmpIsNotSet:
		return id == nil, got
	case CmpIn:
		return id != nil && slices.Contains(c.IDs, *id), got
	case CmpNotIn:
		return id == nil || !slices.Contains(c.IDs, *id), got
	}
	return false, got
}

func compareAttribute(c *schematype.RuleCondition, got string, set bool) bool {
	want := first(c.Values)
	switch c.Operator {
	case CmpIsSet:
		return set
	case CmpIsNotSet:
		return !set
	case CmpEquals:
		return set && strings.EqualFold(got, want)
	case CmpNotEquals:
		return !set || !strings.EqualFold(got, want)
	case CmpContains:
		return set && strings.Contains(strings.ToLower(got), strings.ToLower(want))
	case CmpGreaterThan, CmpLessThan:
		g, err1 := strconv.ParseFloat(strings.TrimSpace(got), 64)
		w, err2 := strconv.ParseFloat(strings.TrimSpace(want), 64)
		if !set || err1 != nil || err2 != nil {
			return false
		}
		if c.Operator == CmpGreaterThan {
			return g > w
		}
		return g < w
	}
	return false
}

func compareNumber(c *schematype.RuleCondition, got float64) bool {
	w, err := strconv.ParseFloat(strings.TrimSpace(first(c.Values)), 64)
	if err != nil {
		return false
	}
	if c.Operator == CmpGreaterThan {
		return got > w
	}
	return got < w
}
