package schematype

// The limits of the columns that hold what customers and providers send.
// ent/schema declares its validators with them, and the code that stores
// untrusted input (channels.Sanitize, identity.Normalize, the inbox) checks
// against them before writing, so a value that a column would refuse is
// dealt with before the database sees it.
const (
	// MaxBody is the longest message body, in bytes (messages.body).
	MaxBody = 64 << 10
	// MaxProviderMessageID is the longest provider message id, in bytes
	// (messages.provider_message_id, the dedupe key).
	MaxProviderMessageID = 255
	// MaxIdentityValue is the longest identity value, in bytes
	// (customer_identities.value: emails, phones, channel user ids).
	MaxIdentityValue = 512
	// MaxName is the longest display name, in characters (customers.name).
	MaxName = 255
	// MaxMentions is the most agents one private note mentions
	// (messages.mentioned_agent_ids).
	MaxMentions = 50
)
