package imap

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	goimap "github.com/emersion/go-imap/v2"
)

// sentNames are the usual names of the Sent folder when no mailbox has the
// \Sent special-use attribute, in order of preference.
var sentNames = []string{"Sent", "Sent Messages", "Sent Items", "已发送"}

// AppendSent stores raw, flagged \Seen, in the Sent folder: the mailbox with
// the \Sent special-use attribute (RFC 6154), else one named "Sent", "Sent
// Messages", "Sent Items" or "已发送" (also under INBOX, as in "INBOX.Sent").
// It reports false with no error when there is none. Connection errors are
// *CheckError as Check's.
func AppendSent(ctx context.Context, c Config, raw []byte) (bool, error) {
	c, err := c.withDefaults()
	if err != nil {
		return false, err
	}
	cn, err := dial(ctx, c, nil)
	if err != nil {
		return false, err
	}
	defer cn.logout()

	w := cn.watch(ctx)
	mailboxes, err := cn.listMailboxes()
	if err = w.done(err); err != nil {
		return false, fmt.Errorf("imap: list mailboxes: %w", err)
	}
	name := pickSent(mailboxes)
	if name == "" {
		return false, nil
	}

	w = cn.watch(ctx)
	cmd := cn.client.Append(name, int64(len(raw)), &goimap.AppendOptions{
		Flags: []goimap.Flag{goimap.FlagSeen},
		Time:  time.Now(),
	})
	_, err = cmd.Write(raw)
	if closeErr := cmd.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		_, err = cmd.Wait()
	}
	if err = w.done(err); err != nil {
		return false, fmt.Errorf("imap: append to %q: %w", name, err)
	}
	return true, nil
}

// listMailboxes lists every mailbox, asking for special-use attributes when
// the server can be asked (most servers include them in a plain LIST too).
func (cn *conn) listMailboxes() ([]*goimap.ListData, error) {
	var opts *goimap.ListOptions
	caps := cn.client.Caps()
	if caps.Has(goimap.CapSpecialUse) && (caps.Has(goimap.CapListExtended) || caps.Has(goimap.CapIMAP4rev2)) {
		opts = &goimap.ListOptions{ReturnSpecialUse: true}
	}
	return cn.client.List("", "*", opts).Collect()
}

// pickSent chooses the Sent folder, or "" when there is none.
func pickSent(mailboxes []*goimap.ListData) string {
	selectable := slices.DeleteFunc(slices.Clone(mailboxes), func(m *goimap.ListData) bool {
		return slices.Contains(m.Attrs, goimap.MailboxAttrNoSelect) || slices.Contains(m.Attrs, goimap.MailboxAttrNonExistent)
	})
	for _, m := range selectable {
		if slices.Contains(m.Attrs, goimap.MailboxAttrSent) {
			return m.Mailbox
		}
	}
	for _, want := range sentNames {
		for _, m := range selectable {
			if strings.EqualFold(m.Mailbox, want) {
				return m.Mailbox
			}
		}
	}
	for _, want := range sentNames {
		for _, m := range selectable {
			if m.Delim != 0 && strings.EqualFold(m.Mailbox, "INBOX"+string(m.Delim)+want) {
				return m.Mailbox
			}
		}
	}
	return ""
}
