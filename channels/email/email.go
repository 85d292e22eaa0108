// Package email is the email channel: a mailbox read by IMAP (IDLE where
// the server has it, polling otherwise) and answered by SMTP.
//
// The parts are packages of their own: mail parses a fetched message
// (MIME, charsets, HTML, quoted history, bounces), imap reads and files
// mail, smtp composes and sends replies. This package maps them onto the
// channel contract:
//
//   - The receiver keeps the mailbox's UIDVALIDITY and the last UID it
//     delivered in the channel's State, and advances it only after Deliver
//     has committed the batch, so a crash or an outage re-fetches, and the
//     Message-ID (or, without one, a digest of the raw mail) stores it
//     once. A new UIDVALIDITY starts over from the first UID; dedupe
//     keeps what was stored.
//   - A reply finds its conversation through its thread key: our
//     plus-address (reply+<key>@<reply domain>) on a To or Cc, else a
//     "[#<key>]" hook in the subject; the inbox honours a key only for the
//     conversation's own customer.
//   - Mail nobody wrote (auto-replies, lists, bounces) is marked
//     AutoSubmitted; a delivery status notification for a mail we sent is
//     a FAILED receipt for it, not a message.
//   - The From address is a claim (mail is forged easily): no DKIM
//     checking is done, so it never merges customers automatically.
package email

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/email/imap"
	parse "github.com/switchboard/switchboard/channels/email/mail"
	"github.com/switchboard/switchboard/channels/email/smtp"
)

// Kind is the registry name of email channels.
const Kind = "email"

// Setting and secret names.
const (
	SettingIMAPHost       = "imapHost"
	SettingIMAPPort       = "imapPort"
	SettingIMAPTLS        = "imapTLS"
	SettingIMAPUsername   = "imapUsername"
	SettingMailbox        = "mailbox"
	SettingSMTPHost       = "smtpHost"
	SettingSMTPPort       = "smtpPort"
	SettingSMTPTLS        = "smtpTLS"
	SettingSMTPUsername   = "smtpUsername"
	SettingFromAddress    = "fromAddress"
	SettingFromName       = "fromName"
	SettingReplyDomain    = "replyDomain"
	SettingSignature      = "signature"
	SettingPollInterval   = "pollInterval"
	SettingImportExisting = "importExisting"
	SecretIMAPPassword    = "imapPassword"
	SecretSMTPPassword    = "smtpPassword"
)

// DefaultPollInterval is how often a mailbox without IDLE is polled.
const DefaultPollInterval = 60 * time.Second

// Adapter is the email adapter.
type Adapter struct {
	// TLSConfig, when set, is used for IMAP and SMTP connections (tests
	// trust their servers' certificates with it).
	TLSConfig *tls.Config
	// MaxBytes bounds one mail; larger ones are stored as a note. Default
	// 25 MiB.
	MaxBytes int64
	// Batch is how many mails one Deliver stores; default 20.
	Batch int
}

// New returns the email adapter.
func New() *Adapter { return &Adapter{} }

var tlsModes = []string{string(imap.ImplicitTLS), string(imap.StartTLS)}

// Describe implements channels.Adapter.
func (a *Adapter) Describe() channels.Description {
	str := func(name, label, desc string, required bool) channels.Field {
		return channels.Field{Name: name, Label: label, Description: desc, Required: required, Type: channels.FieldString}
	}
	num := func(name, label, desc string) channels.Field {
		return channels.Field{Name: name, Label: label, Description: desc, Type: channels.FieldNumber}
	}
	sel := func(name, label, desc string) channels.Field {
		return channels.Field{Name: name, Label: label, Description: desc, Type: channels.FieldSelect, Options: tlsModes}
	}
	return channels.Description{
		Kind:        Kind,
		DisplayName: "Email",
		Settings: []channels.Field{
			str(SettingIMAPHost, "IMAP host", "Such as imap.exmail.qq.com, imap.163.com, imap.gmail.com or outlook.office365.com.", true),
			num(SettingIMAPPort, "IMAP port", "993 for implicit TLS (the default), 143 for STARTTLS."),
			sel(SettingIMAPTLS, "IMAP security", `"tls" (implicit TLS, the default) or "starttls".`),
			str(SettingIMAPUsername, "IMAP username", "Usually the full address.", true),
			str(SettingMailbox, "Mailbox", "The folder read for new mail; INBOX by default.", false),
			str(SettingSMTPHost, "SMTP host", "Such as smtp.exmail.qq.com, smtp.163.com, smtp.gmail.com or smtp.office365.com.", true),
			num(SettingSMTPPort, "SMTP port", "465 for implicit TLS, 587 for STARTTLS (the default)."),
			sel(SettingSMTPTLS, "SMTP security", `"starttls" (the default) or "tls".`),
			str(SettingSMTPUsername, "SMTP username", "The IMAP username when empty.", false),
			str(SettingFromAddress, "From address", "The address replies come from, such as support@example.com.", true),
			str(SettingFromName, "From name", "The name shown with it, such as Example Support.", false),
			str(SettingReplyDomain, "Reply domain", "A domain whose mail reaches this mailbox with plus-addressing (reply+<key>@domain): replies then always find their conversation. Empty: replies go to the From address.", false),
			{Name: SettingSignature, Label: "Signature", Type: channels.FieldString, Description: "Plain text added under every reply."},
			num(SettingPollInterval, "Poll interval (seconds)", "How often to look for new mail when the server has no IDLE; 60 by default."),
			{Name: SettingImportExisting, Label: "Import existing mail", Type: channels.FieldBoolean,
				Description: "Also import the mail already in the mailbox when the channel starts; otherwise only mail that arrives afterwards."},
		},
		Secrets: []channels.Field{
			{Name: SecretIMAPPassword, Label: "IMAP password", Required: true, Type: channels.FieldSecret,
				Description: "The mailbox's password or app password (authorisation code for QQ and 163 mail)."},
			{Name: SecretSMTPPassword, Label: "SMTP password", Type: channels.FieldSecret, Description: "The IMAP password when empty."},
		},
		Capabilities: channels.Capabilities{Inbound: true, Outbound: true, Attachments: true},
	}
}

// Validate implements channels.Adapter; its errors are *channels.FieldError.
func (a *Adapter) Validate(settings map[string]any, secrets map[string]string) error {
	c := &channels.Config{Settings: settings, Secrets: secrets}
	for _, f := range a.Describe().Settings {
		v, set := settings[f.Name]
		if !set || v == nil {
			if f.Required {
				return channels.SettingError(f.Name, "%s is required", f.Label)
			}
			continue
		}
		switch f.Type {
		case channels.FieldNumber:
			if _, ok := toFloat(v); !ok {
				return channels.SettingError(f.Name, "%s must be a number", f.Label)
			}
		case channels.FieldBoolean:
			if _, ok := v.(bool); !ok {
				return channels.SettingError(f.Name, "%s must be true or false", f.Label)
			}
		default:
			s, ok := v.(string)
			if !ok {
				return channels.SettingError(f.Name, "%s must be text", f.Label)
			}
			if f.Required && strings.TrimSpace(s) == "" {
				return channels.SettingError(f.Name, "%s is required", f.Label)
			}
			if f.Type == channels.FieldSelect && s != "" && s != tlsModes[0] && s != tlsModes[1] {
				return channels.SettingError(f.Name, `%s must be "tls" or "starttls"`, f.Label)
			}
		}
	}
	for known := range settings {
		if !a.hasSetting(known) {
			return channels.SettingError(known, "unknown setting %q", known)
		}
	}
	for _, name := range []string{SettingIMAPPort, SettingSMTPPort} {
		if p := number(c, name, 1); p < 1 || p > 65535 || p != float64(int(p)) {
			return channels.SettingError(name, "must be a port number, 1 to 65535")
		}
	}
	if p := number(c, SettingPollInterval, 60); p < 10 || p > 3600 {
		return channels.SettingError(SettingPollInterval, "must be 10 to 3600 seconds")
	}
	if addr, err := mail.ParseAddress(c.Setting(SettingFromAddress)); err != nil || addr.Name != "" {
		return channels.SettingError(SettingFromAddress, "must be an email address, such as support@example.com")
	}
	if d := c.Setting(SettingReplyDomain); d != "" && (strings.ContainsAny(d, "@ /") || !strings.Contains(d, ".")) {
		return channels.SettingError(SettingReplyDomain, "must be a domain name, such as reply.example.com")
	}
	for k := range secrets {
		if k != SecretIMAPPassword && k != SecretSMTPPassword {
			return channels.SecretError(k, "unknown secret %q", k)
		}
	}
	return nil
}

func (a *Adapter) hasSetting(name string) bool {
	for _, f := range a.Describe().Settings {
		if f.Name == name {
			return true
		}
	}
	return false
}

// number is a numeric setting, def when unset.
func number(c *channels.Config, name string, def float64) float64 {
	if v, ok := toFloat(c.Settings[name]); ok {
		return v
	}
	return def
}

// toFloat reads a number as settings hold it: decoded JSON (float64 or
// json.Number) or a Go integer.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

func (a *Adapter) imapConfig(c *channels.Config) imap.Config {
	mode := imap.TLSMode(c.Setting(SettingIMAPTLS))
	if mode == "" {
		mode = imap.ImplicitTLS
	}
	port := 993
	if mode == imap.StartTLS {
		port = 143
	}
	return imap.Config{
		Host: c.Setting(SettingIMAPHost), Port: int(number(c, SettingIMAPPort, float64(port))), TLS: mode,
		Username: c.Setting(SettingIMAPUsername), Password: c.Secrets[SecretIMAPPassword],
		Mailbox: c.Setting(SettingMailbox), TLSConfig: a.TLSConfig,
	}
}

func (a *Adapter) smtpConfig(c *channels.Config) smtp.Config {
	mode := smtp.TLSMode(c.Setting(SettingSMTPTLS))
	if mode == "" {
		mode = smtp.StartTLS
	}
	port := 587
	if mode == smtp.ImplicitTLS {
		port = 465
	}
	user := c.Setting(SettingSMTPUsername)
	if user == "" {
		user = c.Setting(SettingIMAPUsername)
	}
	pass := c.Secrets[SecretSMTPPassword]
	if pass == "" {
		pass = c.Secrets[SecretIMAPPassword]
	}
	return smtp.Config{
		Host: c.Setting(SettingSMTPHost), Port: int(number(c, SettingSMTPPort, float64(port))), TLS: mode,
		Username: user, Password: pass, FromAddress: c.Setting(SettingFromAddress), FromName: c.Setting(SettingFromName),
		Signature: c.Setting(SettingSignature), TLSConfig: a.TLSConfig,
	}
}

// Verify implements channels.Adapter: IMAP LOGIN and SELECT, then SMTP
// EHLO, TLS and AUTH, each failure named with its side and step.
func (a *Adapter) Verify(ctx context.Context, c *channels.Config) error {
	if err := imap.Check(ctx, a.imapConfig(c)); err != nil {
		var ce *imap.CheckError
		if errors.As(err, &ce) {
			return channels.Permanent("IMAP %s failed: %v", ce.Step, ce.Err)
		}
		return channels.Permanent("IMAP: %v", err)
	}
	if err := smtp.Check(ctx, a.smtpConfig(c)); err != nil {
		var ce *smtp.CheckError
		if errors.As(err, &ce) {
			return channels.Permanent("SMTP %s: %v", strings.TrimPrefix(ce.Step, "smtp: "), ce.Err)
		}
		return channels.Permanent("SMTP: %v", err)
	}
	return nil
}

// Handshake implements channels.Adapter: email has no webhook.
func (a *Adapter) Handshake(context.Context, *channels.Config, *http.Request) (channels.Response, bool, error) {
	return channels.Response{}, false, nil
}

// Receive implements channels.Adapter: email has no webhook; mail comes
// through the receiver.
func (a *Adapter) Receive(context.Context, *channels.Config, *http.Request, []byte) (*channels.Delivery, error) {
	return nil, channels.Rejected(http.StatusNotFound, "email channels read their mailbox by IMAP; they take no webhooks")
}

// unknownSender stands for a mail's sender when it names none: the mail
// is still kept (a receiver that refused it would stop at it for good).
var unknownSender = channels.Sender{ExternalID: "unknown-sender", Name: "Unknown sender"}

// inbound maps a parsed mail onto the contract. Bounces of our mail come
// back as receipts instead. A mail that cannot be read at all is kept as
// a note with its raw bytes.
func inbound(raw []byte, received time.Time, replyDomain string) (*channels.Inbound, *channels.Receipt) {
	m, err := parse.Parse(raw)
	if err != nil {
		return &channels.Inbound{
			ProviderMessageID: channels.Digest(string(raw)), Sender: unknownSender, AutoSubmitted: true, Time: received,
			Text:   "A mail arrived that could not be read; its raw bytes are its source.",
			Source: &channels.File{Name: "message.eml", ContentType: "message/rfc822", Data: raw},
		}, nil
	}
	if b := m.Bounce; b != nil && b.OriginalMessageID != "" && b.Action != "delayed" {
		reason := b.Diagnostic
		if reason == "" {
			reason = "bounced: " + b.Status
		}
		return nil, &channels.Receipt{ProviderMessageID: b.OriginalMessageID, Status: channels.StatusFailed, Reason: reason, Time: received}
	}
	id := m.MessageID
	if id == "" {
		id = channels.Digest(string(raw))
	}
	in := &channels.Inbound{
		ProviderMessageID: id, Text: parse.Trim(m.Text), HTML: m.HTML, AutoSubmitted: m.AutoSubmitted || m.Bounce != nil,
		Time: received, Subject: m.Subject, InReplyTo: parents(m),
		Source: &channels.File{Name: "message.eml", ContentType: "message/rfc822", Data: raw},
	}
	if !m.Date.IsZero() && m.Date.Before(received) {
		in.Time = m.Date
	}
	switch {
	case m.From != nil && m.From.Email != "":
		in.Sender = channels.Sender{ExternalID: strings.ToLower(m.From.Email), Name: m.From.Name, Email: m.From.Email}
	case len(m.ReplyTo) > 0 && m.ReplyTo[0].Email != "":
		in.Sender = channels.Sender{ExternalID: strings.ToLower(m.ReplyTo[0].Email), Name: m.ReplyTo[0].Name, Email: m.ReplyTo[0].Email}
	default:
		in.Sender = unknownSender
	}
	for _, p := range m.Attachments {
		in.Files = append(in.Files, channels.File{Name: p.Name, ContentType: p.ContentType, ContentID: p.ContentID, Inline: p.Inline, Data: p.Data})
	}
	in.ThreadKey = threadKey(m, replyDomain)
	meta := map[string]any{"subject": m.Subject}
	if len(m.To) > 0 {
		meta["to"] = addresses(m.To)
	}
	if len(m.Cc) > 0 {
		meta["cc"] = addresses(m.Cc)
	}
	in.Metadata = meta
	return in, nil
}

// parents are the ids a mail answers, oldest first: its References,
// then its In-Reply-To (the mail it answers directly), each once, at its
// last place.
func parents(m *parse.Mail) []string {
	all := append(append([]string(nil), m.References...), m.InReplyTo...)
	seen := make(map[string]bool, len(all))
	var out []string
	for i := len(all) - 1; i >= 0; i-- {
		if id := all[i]; id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	slices.Reverse(out)
	return out
}

func addresses(as []parse.Address) []any {
	out := make([]any, len(as))
	for i, a := range as {
		out[i] = a.Email
	}
	return out
}

// threadKey is the conversation a mail answers: our plus-address on a To
// or Cc, else a subject hook.
func threadKey(m *parse.Mail, replyDomain string) string {
	if replyDomain != "" {
		for _, a := range append(append([]parse.Address(nil), m.To...), m.Cc...) {
			local, domain, ok := strings.Cut(a.Email, "@")
			if key, plus := strings.CutPrefix(local, "reply+"); ok && plus && strings.EqualFold(domain, replyDomain) && key != "" {
				return key
			}
		}
	}
	return parse.ThreadHook(m.Subject)
}

// Send implements channels.Adapter: the reply goes out by SMTP as an
// answer to the customer's latest mail, and a copy is filed in the Sent
// folder when the mailbox has one.
func (a *Adapter) Send(ctx context.Context, c *channels.Config, out *channels.Outbound) (string, error) {
	to := out.Recipient.Email
	if to == "" {
		to = out.Recipient.ExternalID
	}
	if _, err := mail.ParseAddress(to); err != nil {
		return "", channels.Permanent("the customer has no email address to write to")
	}
	from := c.Setting(SettingFromAddress)
	_, domain, _ := strings.Cut(from, "@")
	id := out.DeliveryID + "@" + domain // the same across retries: clients drop a second copy
	m := smtp.Mail{
		MessageID: id, To: smtp.Address{Name: out.Recipient.Name, Email: to}, Subject: parse.ReplySubject(out.Subject),
		InReplyTo: out.ReplyTo, Text: out.Text, Attachments: out.Attachments, Date: out.CreatedAt,
	}
	if out.Subject == "" {
		m.Subject = "Re: your message"
	}
	if out.ReplyTo != "" {
		m.References = []string{out.ReplyTo}
	}
	if d := c.Setting(SettingReplyDomain); d != "" && out.ThreadKey != "" {
		m.ReplyTo = "reply+" + out.ThreadKey + "@" + d
	}
	raw, err := smtp.Send(ctx, a.smtpConfig(c), m)
	if err != nil {
		return "", err
	}
	// The Sent copy is a courtesy: the mail is out whatever happens here.
	_, _ = imap.AppendSent(ctx, a.imapConfig(c), raw)
	return id, nil
}

// errStop ends a fetch early.
var errStop = errors.New("email: stop")

func (a *Adapter) maxBytes() int64 {
	if a.MaxBytes > 0 {
		return a.MaxBytes
	}
	return 25 << 20
}

func (a *Adapter) batch() int {
	if a.Batch > 0 {
		return a.Batch
	}
	return 20
}

// errorf is a receiver failure.
func errorf(format string, args ...any) error { return fmt.Errorf("email: "+format, args...) }
