package channels

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/switchboard/switchboard/internal/schematype"
)

// The most Switchboard stores of an inbound message: its columns' limits.
// An adapter whose provider understands a refusal (a 4xx it will not retry)
// may refuse longer values; Sanitize makes everything else fit.
const (
	MaxMessageID  = schematype.MaxProviderMessageID // bytes
	MaxExternalID = schematype.MaxIdentityValue     // bytes, also emails and phones
	MaxName       = schematype.MaxName              // characters
	MaxText       = schematype.MaxBody              // bytes
	MaxHTML       = 1 << 20                         // bytes; the source keeps the rest
	MaxSubject    = 998                             // characters
	MaxInReplyTo  = 50                              // ids; the latest are kept
)

// MetadataSanitized is the key of Inbound.Metadata (and Message.metadata)
// under which Sanitize lists its fixes.
const MetadataSanitized = "sanitized"

// What keeps a value from being stored as it is. PostgreSQL refuses
// invalid UTF-8 and NUL in text and \u0000 in jsonb; SQLite would store
// them, but both databases must hold the same data.
const (
	ProblemInvalidUTF8 = "invalid_utf8"
	ProblemNUL         = "nul"
	ProblemTooLong     = "too_long"
	ProblemNotJSON     = "not_json" // a metadata value JSON cannot hold (NaN, a channel...)
)

// What Sanitize did about a problem.
const (
	// ActionHashed replaced an identifier by its Digest: still unique and
	// the same on every retry, so deduplication and identities hold.
	ActionHashed = "hashed"
	// ActionCleaned removed NUL characters or replaced invalid bytes with
	// U+FFFD.
	ActionCleaned = "cleaned"
	// ActionTruncated cut a text on a character boundary.
	ActionTruncated = "truncated"
	// ActionDropped left a value out: an email or phone number that an
	// altered copy could wrongly match, or a value JSON cannot hold.
	ActionDropped = "dropped"
)

// Fix is one change Sanitize made so that a message can be stored.
type Fix struct {
	Field   string // as the generic API names it: "messageID", "sender.name", "attachments[0].url", "metadata.x"
	Problem string
	Action  string
	Length  int // the value's length: characters for names, bytes otherwise
	Limit   int // for ProblemTooLong, in the same unit
	chars   bool
}

// Reason says what was wrong, naming the field.
func (f Fix) Reason() string {
	switch f.Problem {
	case ProblemInvalidUTF8:
		return f.Field + " is not valid UTF-8"
	case ProblemNUL:
		return f.Field + " contains a NUL character"
	case ProblemNotJSON:
		return f.Field + " is not a JSON value"
	}
	unit := "bytes"
	if f.chars {
		unit = "characters"
	}
	return fmt.Sprintf("%s is longer than %d %s", f.Field, f.Limit, unit)
}

// Note is the fix as Message.metadata keeps it.
func (f Fix) Note() map[string]any {
	n := map[string]any{"field": f.Field, "problem": f.Problem, "action": f.Action, "length": f.Length}
	if f.Limit > 0 {
		n["limit"] = f.Limit
	}
	return n
}

// Digest is what an identifier that cannot be stored as it is becomes:
// "sha256:" and the hex SHA-256 of its bytes (71 bytes).
func Digest(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Sanitize makes an inbound message storable on every database, whatever
// the adapter let through, and notes each change in
// in.Metadata["sanitized"] (a list of {field, problem, action, length,
// limit}). Identifiers that are over-long, contain NUL or are not UTF-8
// become their Digest; names and texts are cleaned and truncated on a
// character boundary; emails and phones with such problems are dropped;
// attachments and metadata (keys too, at any depth) are cleaned. It never
// writes into the slices or maps in holds: an adapter may call it on a
// copy to learn what is wrong without changing its message.
func Sanitize(in *Inbound) []Fix {
	var s sanitizer
	in.ProviderMessageID = s.identifier("messageID", in.ProviderMessageID, MaxMessageID)
	in.Sender.ExternalID = s.identifier("sender.externalID", in.Sender.ExternalID, MaxExternalID)
	in.Sender.PlatformID = s.identifier("sender.platformID", in.Sender.PlatformID, MaxExternalID)
	in.ThreadKey = s.identifier("threadKey", in.ThreadKey, 0) // not stored yet: no limit
	in.Sender.Name = s.text("sender.name", in.Sender.Name, MaxName, true)
	in.Sender.Email = s.claim("sender.email", in.Sender.Email)
	in.Sender.Phone = s.claim("sender.phone", in.Sender.Phone)
	in.Text = s.text("text", in.Text, MaxText, false)
	in.HTML = s.text("html", in.HTML, MaxHTML, false)
	in.Subject = s.text("subject", in.Subject, MaxSubject, true)
	if len(in.InReplyTo) > 0 {
		ids := make([]string, 0, min(len(in.InReplyTo), MaxInReplyTo))
		for i, id := range in.InReplyTo[max(0, len(in.InReplyTo)-MaxInReplyTo):] {
			ids = append(ids, s.identifier(fmt.Sprintf("inReplyTo[%d]", i), id, MaxMessageID))
		}
		in.InReplyTo = ids
	}
	if len(in.Files) > 0 {
		fs := make([]File, len(in.Files))
		for i, f := range in.Files {
			p := fmt.Sprintf("files[%d].", i)
			fs[i] = File{Name: s.text(p+"name", f.Name, 0, false), ContentType: s.text(p+"contentType", f.ContentType, 0, false),
				ContentID: s.text(p+"contentID", f.ContentID, 0, false), Inline: f.Inline, Data: f.Data}
		}
		in.Files = fs
	}
	if len(in.Attachments) > 0 {
		atts := make([]Attachment, len(in.Attachments))
		for i, a := range in.Attachments {
			p := fmt.Sprintf("attachments[%d].", i)
			atts[i] = Attachment{URL: s.text(p+"url", a.URL, 0, false),
				ContentType: s.text(p+"contentType", a.ContentType, 0, false), Name: s.text(p+"name", a.Name, 0, false)}
		}
		in.Attachments = atts
	}
	if len(in.Media) > 0 {
		media := make([]Media, len(in.Media))
		for i, m := range in.Media {
			p := fmt.Sprintf("media[%d].", i)
			media[i] = Media{ID: s.text(p+"id", m.ID, 0, false), URL: s.text(p+"url", m.URL, 0, false),
				ContentType: s.text(p+"contentType", m.ContentType, 0, false), Name: s.text(p+"name", m.Name, 0, false), Size: m.Size}
		}
		in.Media = media
	}
	if in.Metadata != nil {
		in.Metadata = s.object("metadata", in.Metadata)
	}
	if len(s.fixes) > 0 {
		meta := make(map[string]any, len(in.Metadata)+1)
		for k, v := range in.Metadata {
			meta[k] = v
		}
		notes := make([]any, len(s.fixes))
		for i, f := range s.fixes {
			notes[i] = f.Note()
		}
		meta[MetadataSanitized] = notes
		in.Metadata = meta
	}
	return s.fixes
}

type sanitizer struct{ fixes []Fix }

func (s *sanitizer) add(f Fix) { s.fixes = append(s.fixes, f) }

// problem is the first reason v cannot be stored as it is, or "".
func problem(v string, max int) string {
	switch {
	case !utf8.ValidString(v):
		return ProblemInvalidUTF8
	case strings.IndexByte(v, 0) >= 0:
		return ProblemNUL
	case max > 0 && len(v) > max:
		return ProblemTooLong
	}
	return ""
}

// identifier keeps an id that can be stored, or returns its digest.
func (s *sanitizer) identifier(field, v string, max int) string {
	if s.refuse(field, v, max, ActionHashed) {
		return Digest(v)
	}
	return v
}

// claim keeps an email or phone number that can be stored as it is; an
// altered one could match someone else's, so it is dropped.
func (s *sanitizer) claim(field, v string) string {
	if s.refuse(field, v, MaxExternalID, ActionDropped) {
		return ""
	}
	return v
}

// refuse records the fix action for v when v cannot be stored as it is.
func (s *sanitizer) refuse(field, v string, max int, action string) bool {
	p := problem(v, max)
	if p == "" {
		return false
	}
	f := Fix{Field: field, Problem: p, Action: action, Length: len(v)}
	if p == ProblemTooLong {
		f.Limit = max
	}
	s.add(f)
	return true
}

// text cleans v and cuts it to max (characters if chars, else bytes; 0:
// no limit) on a character boundary.
func (s *sanitizer) text(field, v string, max int, chars bool) string {
	if !utf8.ValidString(v) {
		s.add(Fix{Field: field, Problem: ProblemInvalidUTF8, Action: ActionCleaned, Length: len(v)})
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	if strings.IndexByte(v, 0) >= 0 {
		s.add(Fix{Field: field, Problem: ProblemNUL, Action: ActionCleaned, Length: len(v)})
		v = strings.ReplaceAll(v, "\x00", "")
	}
	if max <= 0 {
		return v
	}
	if chars {
		if n := utf8.RuneCountInString(v); n > max {
			s.add(Fix{Field: field, Problem: ProblemTooLong, Action: ActionTruncated, Length: n, Limit: max, chars: true})
			v = string([]rune(v)[:max])
		}
		return v
	}
	if len(v) > max {
		s.add(Fix{Field: field, Problem: ProblemTooLong, Action: ActionTruncated, Length: len(v), Limit: max})
		cut := max
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut]
	}
	return v
}

// object returns a cleaned copy of a JSON object, keys in sorted order so
// that the fixes come out the same on every retry.
func (s *sanitizer) object(path string, m map[string]any) map[string]any {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make(map[string]any, len(m))
	for _, k := range keys {
		key := s.text(path+"."+sanitizedKey(k)+" (key)", k, 0, false)
		if v, ok := s.value(path+"."+key, m[k]); ok {
			out[key] = v
		}
	}
	return out
}

// sanitizedKey names a key in a field path before it is cleaned.
func sanitizedKey(k string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(k, "\uFFFD"), "\x00", "")
}

// value returns a cleaned copy of a JSON value; ok=false drops it.
func (s *sanitizer) value(path string, v any) (any, bool) {
	switch v := v.(type) {
	case nil, bool, json.Number, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return v, true
	case float64:
		return v, s.finite(path, v)
	case float32:
		return v, s.finite(path, float64(v))
	case string:
		return s.text(path, v, 0, false), true
	case map[string]any:
		return s.object(path, v), true
	case []any:
		out := make([]any, 0, len(v))
		for i, e := range v {
			if e, ok := s.value(fmt.Sprintf("%s[%d]", path, i), e); ok {
				out = append(out, e)
			}
		}
		return out, true
	}
	// Any other Go value is stored as its JSON: clean that.
	raw, err := json.Marshal(v)
	var generic any
	if err == nil {
		err = json.Unmarshal(raw, &generic)
	}
	if err != nil {
		s.add(Fix{Field: path, Problem: ProblemNotJSON, Action: ActionDropped})
		return nil, false
	}
	return s.value(path, generic)
}

func (s *sanitizer) finite(path string, f float64) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		s.add(Fix{Field: path, Problem: ProblemNotJSON, Action: ActionDropped})
		return false
	}
	return true
}

// MaxEventID is the longest provider event id kept as it is, in bytes.
const MaxEventID = 500

// SanitizeEvent makes a channel event storable as Sanitize does a
// message: ids hashed, texts cleaned and cut (the detail to 4,096 bytes),
// an altered email or phone dropped.
func SanitizeEvent(ev *Event) []Fix {
	var s sanitizer
	ev.ProviderEventID = s.identifier("eventID", ev.ProviderEventID, MaxEventID)
	ev.Sender.ExternalID = s.identifier("sender.externalID", ev.Sender.ExternalID, MaxExternalID)
	ev.Sender.PlatformID = s.identifier("sender.platformID", ev.Sender.PlatformID, MaxExternalID)
	ev.Sender.Name = s.text("sender.name", ev.Sender.Name, MaxName, true)
	ev.Sender.Email = s.claim("sender.email", ev.Sender.Email)
	ev.Sender.Phone = s.claim("sender.phone", ev.Sender.Phone)
	ev.Detail = s.text("detail", ev.Detail, 4096, false)
	return s.fixes
}

// SanitizeReceipt makes a receipt storable: its id hashed as Sanitize
// hashes a message's (so it still matches), its reason cleaned and cut to
// 1,000 characters.
func SanitizeReceipt(r *Receipt) []Fix {
	var s sanitizer
	r.ProviderMessageID = s.identifier("messageID", r.ProviderMessageID, MaxMessageID)
	r.Recipient = s.identifier("recipient", r.Recipient, MaxExternalID)
	r.Reason = s.text("reason", r.Reason, 1000, true)
	return s.fixes
}

// StorableID is a provider's message id as Switchboard stores it: as it
// is, or its Digest when no column could hold it (what Sanitize and
// SanitizeReceipt do), so a sent message's id and its receipts' ids match.
func StorableID(id string) string {
	var s sanitizer
	return s.identifier("messageID", id, MaxMessageID)
}

// SanitizeCall makes a call event storable: its id hashed as a message's
// when too long, numbers, agent and recording address cleaned and cut to
// their columns.
func SanitizeCall(c *Call) []Fix {
	var s sanitizer
	c.ProviderCallID = s.identifier("callID", c.ProviderCallID, 255)
	c.From = s.text("from", c.From, 64, true)
	c.To = s.text("to", c.To, 64, true)
	c.AgentID = s.text("agentID", c.AgentID, 255, true)
	c.AgentEmail = s.text("agentEmail", c.AgentEmail, 255, true)
	if len(c.RecordingURL) > 2048 || !IsHTTPURL(c.RecordingURL) {
		c.RecordingURL = ""
	}
	return s.fixes
}
