// Package webchat holds what the core needs to know about website chat
// channels, whose visitors talk through the GraphQL visitor API rather
// than a provider: the channel kind, the secret that signs verified
// visitor identities, and the browser origins a channel allows. The
// channel's adapter (channels/web) builds on it; nothing in the core
// imports an adapter.
package webchat

import (
	"slices"
	"strings"
)

// Kind is the registry name of website chat channels.
const Kind = "web"

// IdentitySecret is the secret field that signs verified visitor
// identities.
const IdentitySecret = "identitySecret"

// OriginsSetting is the setting that lists the origins of the sites that
// embed a channel's chat.
const OriginsSetting = "allowedOrigins"

// OriginAllowed reports whether a channel's settings list a browser origin
// among its allowed origins.
func OriginAllowed(settings map[string]any, origin string) bool {
	return slices.Contains(AllowedOrigins(settings), NormalizeOrigin(origin))
}

// AllowedOrigins returns a channel's allowed origins, normalised.
func AllowedOrigins(settings map[string]any) []string {
	list, _ := settings[OriginsSetting].([]any)
	out := make([]string, 0, len(list))
	for _, o := range list {
		if s, ok := o.(string); ok {
			out = append(out, NormalizeOrigin(s))
		}
	}
	return out
}

// NormalizeOrigin lower-cases an origin and drops a trailing slash.
func NormalizeOrigin(o string) string {
	return strings.ToLower(strings.TrimRight(strings.TrimSpace(o), "/"))
}
