// Package smtp composes an agent's reply to an email customer and sends it
// through the channel's SMTP submission server; it also checks SMTP
// credentials. The email adapter calls it: Build for the bytes it files in
// the Sent folder, Send to deliver them, Check to verify a channel.
//
// Messages are composed with github.com/emersion/go-message and sent with
// the github.com/emersion/go-smtp client, not with wneessen/go-mail:
//   - go-smtp returns the server's replies as *smtp.SMTPError (code,
//     enhanced code, text), so 5xx and 4xx map onto permanent and transient
//     send errors without reading error strings, and its client lets each
//     step (connect, TLS, EHLO, AUTH) fail on its own, which Check reports;
//   - go-message leaves every header to us: our own Message-ID, no
//     X-Mailer, RFC 2231 attachment names (go-mail writes RFC 2047 ones
//     inside quotes) and deterministic output, so Build and Send produce
//     the same bytes;
//   - both come from the family the IMAP side uses (go-imap v2 reads with
//     go-message), and go-smtp's server runs in-process in the tests.
//
// Outgoing mail is 7-bit clean: text parts are quoted-printable,
// attachments base64, headers RFC 2047 encoded where they are not ASCII and
// folded at 76 characters, every line ends in CRLF. MIME boundaries are
// derived from the Message-ID; they contain "=_", which neither encoding
// can produce, so they cannot collide with content.
package smtp
