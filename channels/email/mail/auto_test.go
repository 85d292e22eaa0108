package mail

import "testing"

func TestAutoSubmitted(t *testing.T) {
	tests := []struct {
		name string
		raw  []byte
		want bool
	}{
		{"normal mail", hdr("From: a@example.com", "Subject: help"), false},
		{"Auto-Submitted: no", hdr("From: a@example.com", "Auto-Submitted: no"), false},
		{"Auto-Submitted: auto-replied", hdr("From: a@example.com", "Auto-Submitted: auto-replied"), true},
		{"Auto-Submitted: auto-generated with comment", hdr("From: a@example.com", "Auto-Submitted: auto-generated (vacation)"), true},
		{"Precedence: bulk", hdr("From: a@example.com", "Precedence: bulk"), true},
		{"Precedence: junk", hdr("From: a@example.com", "Precedence: Junk"), true},
		{"List-Id", hdr("From: a@example.com", "List-Id: <news.example.com>"), true},
		{"List-Unsubscribe", hdr("From: a@example.com", "List-Unsubscribe: <mailto:u@example.com>"), true},
		{"mailer-daemon", hdr("From: Mail Delivery Subsystem <MAILER-DAEMON@example.com>"), true},
		{"postmaster", hdr("From: postmaster@example.com"), true},
		{"X-Autoreply", hdr("From: a@example.com", "X-Autoreply: yes"), true},
		{"X-Autorespond", hdr("From: a@example.com", "X-Autorespond: vacation"), true},
		{"null Return-Path", hdr("Return-Path: <>", "From: a@example.com"), true},
		{"multipart/report", fixture(t, "dsn.eml"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustParse(t, tt.raw).AutoSubmitted; got != tt.want {
				t.Errorf("AutoSubmitted = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBounce(t *testing.T) {
	m := mustParse(t, fixture(t, "dsn.eml"))
	want := Bounce{
		OriginalMessageID: "reply-42@switchboard.test",
		Action:            "failed",
		Status:            "5.1.1",
		Recipient:         "nobody@example.net",
		Diagnostic:        "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown",
	}
	if m.Bounce == nil || *m.Bounce != want {
		t.Fatalf("Bounce = %+v, want %+v", m.Bounce, want)
	}
	if m.Text != "I'm sorry to have to inform you that your message could not be delivered." {
		t.Errorf("Text = %q", m.Text)
	}
	if len(m.Attachments) != 0 || len(m.Problems) != 0 {
		t.Errorf("attachments %d problems %q", len(m.Attachments), m.Problems)
	}
	if mustParse(t, fixture(t, "alternative.eml")).Bounce != nil {
		t.Error("a normal mail has a Bounce")
	}
}
