// Package schematype holds the Go types stored in JSON columns and the
// limits of the columns that hold untrusted input. The data model and the
// API share them, so they live outside both.
package schematype

// Skill is one of an agent's skills, with an optional level (1..10).
type Skill struct {
	Name  string `json:"name"`
	Level *int   `json:"level,omitempty"`
}

// WorkingHours says when a channel is staffed.
type WorkingHours struct {
	Timezone string           `json:"timezone"`
	Weekly   []WeeklyInterval `json:"weekly"`
	Holidays []string         `json:"holidays,omitempty"` // YYYY-MM-DD in Timezone
}

// WeeklyInterval is one staffed interval on a weekday, in local 24-hour time.
type WeeklyInterval struct {
	Day   string `json:"day"`   // MONDAY .. SUNDAY
	Start string `json:"start"` // "09:00"
	End   string `json:"end"`   // "17:30"; "24:00" means midnight
}

// TemplateMessage is an approved template an agent sent (Message.template):
// the template's id at the channel, its language, and the parameters.
type TemplateMessage struct {
	ID       string         `json:"id"`
	Language string         `json:"language,omitempty"`
	Params   map[string]any `json:"params,omitempty"`
	// Text is the template's body with the parameters filled in; "" when
	// the channel does not know the body (the provider renders it).
	Text string `json:"text,omitempty"`
}

// QuickReplyTemplate is the approved template a quick reply sends on
// template-only channels (Channel.templates): its id, language and
// parameters, each a text that may hold variables ({{customer.name}}),
// filled when the quick reply is used.
type QuickReplyTemplate struct {
	TemplateID string            `json:"templateID"`
	Language   string            `json:"language,omitempty"`
	Params     map[string]string `json:"params,omitempty"`
}
