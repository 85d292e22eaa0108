package schematype

// Evidence is one identity two customers share, the reason to think they
// are one person.
type Evidence struct {
	Kind  string `json:"kind"` // EMAIL, PHONE, EXTERNAL_ID, CHANNEL_USER, PLATFORM_USER
	Value string `json:"value"`
	// Verified tells whether each side's identity was verified.
	CustomerVerified  bool `json:"customerVerified"`
	DuplicateVerified bool `json:"duplicateVerified"`
}

// MergeSnapshot is what a merge moved and what it changed, so that
// unmerging can put everything back.
type MergeSnapshot struct {
	// What moved from the secondary to the primary.
	Conversations []string `json:"conversations"`
	Identities    []string `json:"identities"`
	// The primary's unverified copies of identities the secondary had
	// verified: they went to the secondary so that the primary holds each
	// identity once (the verified one).
	Displaced []string `json:"displaced,omitempty"`
	// The secondary as it was.
	Secondary CustomerState `json:"secondary"`
	// What the merge changed on the primary: its state before, and the
	// tags and attribute keys it added.
	Primary       CustomerState  `json:"primary"`
	AddedTags     []string       `json:"addedTags"`
	AddedAttrs    map[string]any `json:"addedAttributes"`
	AppendedNotes string         `json:"appendedNotes"`
	// The secondary's attribute values that conflicted with the
	// primary's (the primary's were kept).
	Conflicts map[string]any `json:"conflicts"`
}

// CustomerState is a customer's own fields.
type CustomerState struct {
	Name       string         `json:"name"`
	AvatarURL  string         `json:"avatarURL"`
	VIP        bool           `json:"vip"`
	Notes      string         `json:"notes"`
	Attributes map[string]any `json:"attributes"`
	Tags       []string       `json:"tags"`
}

// SkillRule requires a skill of conversations that match When (always,
// when When is nil).
type SkillRule struct {
	Skill    string         `json:"skill"`
	MinLevel *int           `json:"minLevel,omitempty"`
	When     *SkillRuleWhen `json:"when,omitempty"`
}

// SkillRuleWhen matches conversations: all given conditions must hold.
type SkillRuleWhen struct {
	TagIDs            []string            `json:"tagIDs,omitempty"`   // the conversation has one of these tags
	Keywords          []string            `json:"keywords,omitempty"` // its last message contains one (any case)
	CustomerAttribute *AttributeCondition `json:"customerAttribute,omitempty"`
}

// AttributeCondition matches a customer attribute's value (as text).
type AttributeCondition struct {
	Name   string `json:"name"`
	Equals string `json:"equals"`
}
