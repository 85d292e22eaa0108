package mail

import "testing"

func TestThreadHook(t *testing.T) {
	tests := []struct{ subject, want string }{
		{"Re: help [#abcdefghij0123456789]", "abcdefghij0123456789"},
		{"[#0123456789abcdefghij0123456789ab] Order", "0123456789abcdefghij0123456789ab"},
		{"Re: help [#ABCDEFGHIJ0123456789]", ""},     // upper case
		{"Re: help [#abc123]", ""},                   // too short
		{"[#0123456789abcdefghij0123456789abc]", ""}, // too long
		{"Re: help #abcdefghij0123456789", ""},       // no brackets
		{"no hook", ""},
	}
	for _, tt := range tests {
		if got := ThreadHook(tt.subject); got != tt.want {
			t.Errorf("ThreadHook(%q) = %q, want %q", tt.subject, got, tt.want)
		}
	}
}

func TestReplySubject(t *testing.T) {
	tests := []struct{ subject, want string }{
		{"Order 42", "Re: Order 42"},
		{"Re: Order 42", "Re: Order 42"},
		{"RE: re: Order 42", "Re: Order 42"},
		{"Re[2]: Order 42", "Re: Order 42"},
		{"Re(3): Order 42", "Re: Order 42"},
		{"回复: 订单", "Re: 订单"},
		{"回复：答复: 订单", "Re: 订单"},
		{"AW: Bestellung", "Re: Bestellung"},
		{"SV: Ordre", "Re: Ordre"},
		{"Fwd: Order 42", "Re: Fwd: Order 42"},
		{"Re: Fwd: Re: Order 42", "Re: Fwd: Re: Order 42"},
		{"Reply needed", "Re: Reply needed"},
		{"  Re:Order  ", "Re: Order"},
		{"", "Re:"},
	}
	for _, tt := range tests {
		if got := ReplySubject(tt.subject); got != tt.want {
			t.Errorf("ReplySubject(%q) = %q, want %q", tt.subject, got, tt.want)
		}
	}
}
