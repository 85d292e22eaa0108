package imap

import (
	"bytes"
	"context"
	"slices"
	"testing"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

func TestAppendSent(t *testing.T) {
	ts := newTestServer(t)
	raw := []byte("From: alice@example.com\r\nTo: bob@example.com\r\nSubject: Re: hi\r\n\r\nThanks.\r\n")
	ok, err := AppendSent(context.Background(), ts.config(StartTLS), raw)
	if err != nil || !ok {
		t.Fatalf("AppendSent: %v, %v; want stored", ok, err)
	}

	lib := ts.client(t)
	if _, err := lib.Select("Sent", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	section := &goimap.FetchItemBodySection{Peek: true}
	msgs, err := lib.Fetch(goimap.SeqSetNum(1), &goimap.FetchOptions{
		Flags: true, BodySection: []*goimap.FetchItemBodySection{section},
	}).Collect()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Sent holds %d messages (%v), want 1", len(msgs), err)
	}
	if got := msgs[0].FindBodySection(section); !bytes.Equal(got, raw) {
		t.Fatalf("stored %q, want %q", got, raw)
	}
	if !slices.Contains(msgs[0].Flags, goimap.FlagSeen) {
		t.Fatalf("flags %v, want \\Seen", msgs[0].Flags)
	}
}

func TestAppendSentWithoutSentFolder(t *testing.T) {
	ts := newTestServer(t)
	user := imapmemserver.NewUser("bob@example.com", "pw")
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	ts.mem.AddUser(user)
	c := ts.config(NoTLS)
	c.Username, c.Password = "bob@example.com", "pw"
	ok, err := AppendSent(context.Background(), c, []byte("Subject: x\r\n\r\nx\r\n"))
	if ok || err != nil {
		t.Fatalf("AppendSent: %v, %v; want false and no error", ok, err)
	}
}

func TestPickSent(t *testing.T) {
	mb := func(name string, attrs ...goimap.MailboxAttr) *goimap.ListData {
		return &goimap.ListData{Mailbox: name, Delim: '.', Attrs: attrs}
	}
	tests := []struct {
		name      string
		mailboxes []*goimap.ListData
		want      string
	}{
		{"special-use wins over the name", []*goimap.ListData{mb("INBOX"), mb("Sent"), mb("Gesendet", goimap.MailboxAttrSent)}, "Gesendet"},
		{"Sent", []*goimap.ListData{mb("INBOX"), mb("Drafts"), mb("Sent")}, "Sent"},
		{"case does not matter", []*goimap.ListData{mb("INBOX"), mb("SENT")}, "SENT"},
		{"Outlook", []*goimap.ListData{mb("INBOX"), mb("Sent Items")}, "Sent Items"},
		{"Apple", []*goimap.ListData{mb("INBOX"), mb("Sent Messages")}, "Sent Messages"},
		{"163.com", []*goimap.ListData{mb("INBOX"), mb("已发送"), mb("草稿箱")}, "已发送"},
		{"under INBOX", []*goimap.ListData{mb("INBOX"), mb("INBOX.Sent")}, "INBOX.Sent"},
		{"not selectable", []*goimap.ListData{mb("INBOX"), mb("Sent", goimap.MailboxAttrNoSelect)}, ""},
		{"none", []*goimap.ListData{mb("INBOX"), mb("Archive")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pickSent(tt.mailboxes); got != tt.want {
				t.Fatalf("pickSent: %q, want %q", got, tt.want)
			}
		})
	}
}
