// Package channels describes the kinds of channel Switchboard connects.
// The channels issue replaces this fixed list with a registry of adapters.
package channels

// Kind describes one kind of channel.
type Kind struct {
	Name             string // registry name, lower_snake
	DisplayName      string
	NeedsCredentials bool // starts disabled until verified
}

// Registry lists the kinds a server accepts.
type Registry struct {
	kinds map[string]Kind
	order []string
}

// NewRegistry returns a registry of the given kinds.
func NewRegistry(kinds ...Kind) *Registry {
	r := &Registry{kinds: map[string]Kind{}}
	for _, k := range kinds {
		r.kinds[k.Name] = k
		r.order = append(r.order, k.Name)
	}
	return r
}

// Lookup returns the kind with that name.
func (r *Registry) Lookup(name string) (Kind, bool) {
	k, ok := r.kinds[name]
	return k, ok
}

// Kinds lists the registered kinds in registration order.
func (r *Registry) Kinds() []Kind {
	out := make([]Kind, len(r.order))
	for i, n := range r.order {
		out[i] = r.kinds[n]
	}
	return out
}

// Builtin lists the kinds of API-CONVENTIONS.md.
func Builtin() []Kind {
	return []Kind{
		{"web", "Website chat", false},
		{"api", "API", false},
		{"email", "Email", true},
		{"sms_twilio", "SMS (Twilio)", true},
		{"sms_tencent", "SMS (Tencent Cloud)", true},
		{"wechat", "WeChat Official Account", true},
		{"weibo", "Weibo", true},
		{"qq", "QQ", true},
		{"messenger", "Facebook Messenger", true},
		{"telegram", "Telegram", true},
		{"phone", "Phone", true},
	}
}
