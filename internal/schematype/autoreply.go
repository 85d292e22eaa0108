package schematype

// AutoReplyText is one auto-reply a channel may send: whether it is on,
// and its text (render variables allowed).
type AutoReplyText struct {
	Enabled bool   `json:"enabled"`
	Body    string `json:"body"`
}

// KeywordReply answers an inbound message that matches Pattern.
type KeywordReply struct {
	Match   KeywordMatch `json:"match"`
	Pattern string       `json:"pattern"`
	Body    string       `json:"body"`
}

// KeywordMatch is how a keyword auto-reply compares a message's text.
type KeywordMatch string

// The ways to match.
const (
	MatchExact    KeywordMatch = "EXACT"    // the trimmed text, ignoring case
	MatchContains KeywordMatch = "CONTAINS" // anywhere in the text, ignoring case
	MatchRegex    KeywordMatch = "REGEX"    // a Go RE2 regular expression
)
