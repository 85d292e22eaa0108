// Package gid implements Switchboard's global identifiers: opaque strings
// such as "cnv_01jf3q6c8r7d9x2m4k5n6p7t8v" that carry the type of the row
// they name. Clients treat them as opaque; the server reads the prefix to
// resolve node(id:) without a lookup table and to reject ids of the wrong
// type before touching the database.
package gid

import (
	"crypto/rand"
	"database/sql/driver"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ID is a typed, time-ordered, unguessable identifier.
type ID string

// prefixes maps every id prefix to the ent type it names. It is the single
// list of entity prefixes; schema mixins take theirs from here.
var prefixes = map[string]string{
	"wsp":  "Workspace",
	"agt":  "Agent",
	"team": "Team",
	"chn":  "Channel",
	"cus":  "Customer",
	"cid":  "CustomerIdentity",
	"cnv":  "Conversation",
	"msg":  "Message",
	"tag":  "Tag",
	"tok":  "ApiToken",
	"evt":  "Event",
	"prs":  "AgentPresence",
	"crd":  "ConversationRead",
	"obx":  "OutboxItem",
	"mrg":  "CustomerMerge",
	"dup":  "CustomerDuplicate",
	"atd":  "AttributeDefinition",
	"act":  "ConversationActivity",
	"rtp":  "RoutingPolicy",
	"tmr":  "Timer",
	"fil":  "File",
	"cst":  "ChannelState",
	"rcp":  "PendingReceipt",
	"call": "Call",
	"qr":   "QuickReply",
	"arc":  "AutoReplyConfig",
	"ars":  "AutoReplySend",
	"aru":  "AutomationRule",
	"arr":  "AutomationRuleRun",
}

// crockford is the lower-case Crockford base32 alphabet: ids sort in creation order.
const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// bodyLen is the length of the part after the prefix: 48 bits of milliseconds
// and 80 random bits, 26 base32 characters.
const bodyLen = 26

// New returns a new id with the prefix of the given ent type.
func New(typ string) ID {
	p := PrefixOf(typ)
	if p == "" {
		panic("gid: no prefix for type " + typ)
	}
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(time.Now().UnixMilli())<<16)
	if _, err := io.ReadFull(rand.Reader, b[6:]); err != nil {
		panic("gid: reading random bytes: " + err.Error())
	}
	return ID(p + "_" + encode(b))
}

func encode(b [16]byte) string {
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	out := make([]byte, bodyLen)
	for i := bodyLen - 1; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out)
}

// PrefixOf returns the id prefix of an ent type name, or "".
func PrefixOf(typ string) string {
	for p, t := range prefixes {
		if t == typ {
			return p
		}
	}
	return ""
}

// Type returns the ent type name an id refers to.
func (id ID) Type() (string, error) {
	p, body, ok := strings.Cut(string(id), "_")
	typ, known := prefixes[p]
	if !ok || !known || len(body) != bodyLen || strings.Trim(body, crockford) != "" {
		return "", fmt.Errorf("malformed id %q", string(id))
	}
	return typ, nil
}

// Valid reports whether the id is well formed.
func (id ID) Valid() bool {
	_, err := id.Type()
	return err == nil
}

func (id ID) String() string { return string(id) }

// Scan implements sql.Scanner.
func (id *ID) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*id = ""
	case string:
		*id = ID(v)
	case []byte:
		*id = ID(v)
	default:
		return fmt.Errorf("gid: cannot scan %T", src)
	}
	return nil
}

// Value implements driver.Valuer.
func (id ID) Value() (driver.Value, error) { return string(id), nil }

// MarshalGQL writes the id as a GraphQL string.
func (id ID) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, strconv.Quote(string(id)))
}

// UnmarshalGQL reads an id given as a GraphQL ID. A malformed id is refused
// here, so it never reaches a query.
func (id *ID) UnmarshalGQL(v any) error {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case ID:
		s = string(v)
	default:
		return &MalformedError{Value: fmt.Sprint(v)}
	}
	if !ID(s).Valid() {
		return &MalformedError{Value: s}
	}
	*id = ID(s)
	return nil
}

// MalformedError reports an id that is not one of ours.
type MalformedError struct{ Value string }

func (e *MalformedError) Error() string { return "malformed id" }
