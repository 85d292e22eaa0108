package api

import (
	"bytes"
	"encoding/json"
	"strings"
)

// MetadataExtra is the key of Message.metadata holding the fields of an
// inbound body that the wire format does not define: integrators add their
// own (an order number, a locale), and refusing them would break their
// deployments. Unknown sender fields are under extra["sender"].
const MetadataExtra = "extra"

var (
	knownFields       = []string{"event", "messageID", "sender", "text", "attachments"}
	knownSenderFields = []string{"externalID", "name", "email", "phone"}
)

// extras returns the body's fields outside the wire format, numbers kept
// exactly as sent; nil when there are none. Known names match as
// encoding/json matches them, ignoring case.
func extras(body []byte) (map[string]any, error) {
	var top map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil {
		return nil, err
	}
	out := unknown(top, knownFields)
	if snd, ok := top[fieldName(top, "sender")].(map[string]any); ok {
		if s := unknown(snd, knownSenderFields); len(s) > 0 {
			if out == nil {
				out = map[string]any{}
			}
			out["sender"] = s
		}
	}
	return out, nil
}

func unknown(m map[string]any, known []string) map[string]any {
	var out map[string]any
	for k, v := range m {
		if isKnown(k, known) {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[k] = v
	}
	return out
}

func isKnown(k string, known []string) bool {
	for _, f := range known {
		if strings.EqualFold(k, f) {
			return true
		}
	}
	return false
}

// fieldName is the key of m that encoding/json would read as name: the
// exact spelling if present, else one equal ignoring case.
func fieldName(m map[string]any, name string) string {
	if _, ok := m[name]; ok {
		return name
	}
	for k := range m {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}
