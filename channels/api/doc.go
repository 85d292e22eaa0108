// Package api is the generic API channel (kind "api"): integrators post
// signed JSON to the channel's webhook URL, and Switchboard posts replies,
// signed the same way, to the integrator's callback URL. The base wire
// format is in design/API-CONVENTIONS.md, "Generic API channel wire
// format"; this comment is the reference for what contract v2 added.
//
// Signing, both directions: X-Switchboard-Timestamp: <unix seconds> and
// X-Switchboard-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "."
// + raw body)>, checked before the body is parsed; a timestamp more than 5
// minutes from now is refused with 401.
//
// Webhook events. The body's "event" field says what it carries:
//
//   - absent or "message": one inbound message, {"messageID", "sender":
//     {"externalID", "name", "email", "phone"}, "text", "attachments"},
//     answered 200 {"conversationID", "messageID"}. Fields outside the
//     format are kept in the message's metadata (see MetadataExtra);
//     "event" is not one of them. Attachments are [{"url", "contentType",
//     "name"}]; Switchboard fetches each url after storing the message
//     (https to public addresses only, unless private fetches are
//     allowed), and the attachment is PENDING until then.
//   - "message.status": a delivery receipt, {"event": "message.status",
//     "messageID": "<id>", "status": "SENT"|"DELIVERED"|"READ"|"FAILED",
//     "reason": "<why it failed, at most 1024 bytes>", "timestamp":
//     "<RFC 3339, optional: now>"}, or several at once: {"event":
//     "message.status", "statuses": [{"messageID", "status", "reason",
//     "timestamp"}, ...]} (1 to 100). The id is the one the integrator
//     answered the callback with ({"id": ...}), or else the callback's
//     deliveryID. Answered 200 {"ok": true}. A status never moves a
//     message backwards (a late DELIVERED after READ is ignored; FAILED
//     only follows SENT); one for an id not sent yet is kept until it is.
//   - anything else: 400 naming the event. An invalid status, a missing
//     messageID or a bad timestamp is 400 too, naming the field
//     ("statuses[3].status").
//
// Callback (Switchboard -> integrator), also with X-Switchboard-Delivery:
// <deliveryID, stable across retries>:
//
//	{"event": "message.created", "deliveryID", "conversationID",
//	 "recipient": {"externalID"},
//	 "message": {"id", "text", "createdAt",
//	             "attachments": [{"url": "<signed link, good for 24 hours>", "contentType", "name", "size"}],
//	             "replyTo": "<messageID of the customer's latest message, when there is one>",
//	             "threadKey": "<the conversation's key, when it has one>",
//	             "template": {"id", "language", "params": {"<name>": <value>}}}}
//
// message.template is present only when an agent sent one of the channel's
// templates; message.text is then its body with the parameters filled
// in. The answer decides what happens next: any 2xx delivers (a JSON
// {"id": "..."} names the message for its receipts); 429 or 503 with a
// Retry-After header (seconds or an HTTP date, at most 24 hours) retries
// no earlier than that; 408, 429, 5xx and unreachable callbacks are
// retried with backoff; any other 4xx fails the message for good
// ("callback refused the message: 422").
//
// Settings: callbackURL (an http or https URL; needed to send) and
// templates, a list of {"id", "name", "language", "params": ["<name>",
// ...], "body": "text with {{name}} placeholders"}: ids unique, params
// unique names of letters, digits and _, every placeholder among the
// params. Secrets: secret, at least 16 characters.
package api
