package smtp

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-smtp"
	"github.com/switchboard/switchboard/channels"
)

// Send delivers the mail to m.To (the bytes Build makes, which it returns)
// from c.FromAddress. Its errors are *channels.Error: the server's 5xx
// replies are permanent and 4xx transient, both wrapping the
// *smtp.SMTPError; a failed connection, TLS handshake or timeout is
// transient; failed authentication is permanent ("smtp: authentication
// failed"). Nothing is retried here.
func Send(ctx context.Context, c Config, m Mail) ([]byte, error) {
	c, err := c.normalized()
	if err != nil {
		return nil, channels.Permanent("smtp: %v", err)
	}
	msg, err := Build(ctx, c, m)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	s, err := open(ctx, c)
	if err != nil {
		return nil, openError(err)
	}
	defer s.close()
	if err := transmit(ctx, s.client, c.FromAddress, m.To.Email, msg); err != nil {
		return nil, err
	}
	s.client.Quit() // the server has taken the mail: a failing QUIT changes nothing
	return msg, nil
}

// transmit runs one mail transaction.
func transmit(ctx context.Context, client *smtp.Client, from, to string, msg []byte) error {
	if max, ok := client.MaxMessageSize(); ok && max > 0 && len(msg) > max {
		return channels.Permanent("smtp: the mail is %d bytes, the server takes at most %d", len(msg), max)
	}
	opts := &smtp.MailOptions{Size: int64(len(msg))}
	if !isPlainASCII(from) || !isPlainASCII(to) {
		if ok, _ := client.Extension("SMTPUTF8"); !ok {
			return channels.Permanent("smtp: the server cannot take non-ASCII addresses (no SMTPUTF8)")
		}
		opts.UTF8 = true
	}
	if err := client.Mail(from, opts); err != nil {
		return replyError(ctx, "MAIL FROM", err)
	}
	if err := client.Rcpt(to, nil); err != nil {
		return replyError(ctx, "RCPT TO", err)
	}
	w, err := client.Data()
	if err != nil {
		return replyError(ctx, "DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return replyError(ctx, "DATA", err)
	}
	if err := w.Close(); err != nil {
		return replyError(ctx, "end of DATA", err)
	}
	return nil
}

// replyError maps a failed command: the server's 5xx reply is permanent,
// its 4xx reply and a failed connection transient.
func replyError(ctx context.Context, command string, err error) error {
	var reply *smtp.SMTPError
	if !errors.As(err, &reply) {
		return channels.Transient(cause(ctx, err), "smtp: %s", command)
	}
	return fromReply("smtp: "+command+" refused", reply)
}

// fromReply turns a server's reply into a send error.
func fromReply(reason string, reply *smtp.SMTPError) *channels.Error {
	if reply.EnhancedCode != smtp.EnhancedCodeNotSet && reply.EnhancedCode != smtp.NoEnhancedCode {
		c := reply.EnhancedCode
		reason += fmt.Sprintf(" (%d.%d.%d)", c[0], c[1], c[2])
	}
	if reply.Code >= 500 {
		e := channels.Permanent("%s", reason)
		e.Err = reply
		return e
	}
	return channels.Transient(reply, "%s", reason)
}

// openError maps a failure to connect, secure or log in.
func openError(err error) error {
	var ce *CheckError
	if !errors.As(err, &ce) {
		return channels.Transient(err, "smtp: connecting")
	}
	var reply *smtp.SMTPError
	switch {
	case errors.As(ce.Err, &reply):
		return fromReply(ce.Step, reply)
	case ce.Step == StepAuth: // no mechanism we can use
		return channels.Permanent("%s: %v", ce.Step, ce.Err)
	}
	return channels.Transient(ce.Err, "%s", ce.Step)
}
