package mail

import "testing"

func TestTrim(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"no history", "Hello,\nthanks!\n", "Hello,\nthanks!"},
		{"gmail", "Thanks, that works.\n\nOn Sat, Nov 28, 2026 at 10:00 AM Support <support@example.com> wrote:\n> Did it work?\n> \n", "Thanks, that works."},
		{"gmail wrapped", "Yes.\n\nOn Sat, Nov 28, 2026 at 10:00 AM Support Team <\nsupport@example.com> wrote:\n\n> Did it work?\n", "Yes."},
		{"trailing quote lines", "Fine.\n\n> old text\n> more\n", "Fine."},
		{"inline quote kept", "> question one\nanswer one\n> question two\nanswer two", "> question one\nanswer one\n> question two\nanswer two"},
		{"outlook original message", "OK, thanks.\r\n\r\n-----Original Message-----\r\nFrom: Support <s@example.com>\r\nSent: Saturday, November 28, 2026 10:00 AM\r\nTo: me\r\nSubject: ticket\r\n\r\nold", "OK, thanks."},
		{"outlook from block", "Agreed.\n\n________________________________\nFrom: Support <s@example.com>\nSent: Saturday, November 28, 2026 10:00\nTo: Me <me@example.com>\nSubject: ticket\n\nold text", "Agreed."},
		{"outlook chinese block", "好的，谢谢。\n\n发件人: 客服 <s@example.com>\n发送时间: 2026年11月28日 10:00\n收件人: 我\n主题: 工单\n\n旧内容", "好的，谢谢。"},
		{"qq mail", "收到，谢谢！\n\n------------------ 原始邮件 ------------------\n发件人: \"客服\"<s@example.com>;\n发送时间: 2026年11月28日(星期六) 上午10:00\n收件人: \"我\"<me@qq.com>;\n主题: 工单\n\n旧内容", "收到，谢谢！"},
		{"netease", "好的\n\n在 2026-11-28 10:00:00，\"张三\" <a@b.c> 写道：\n>旧内容\n", "好的"},
		{"gmail chinese", "可以。\n\n张三 <a@b.c> 于2026年11月28日周六 10:00写道：\n\n> 旧内容\n", "可以。"},
		{"signature", "See you.\n-- \nJohn Doe\nACME Inc.", "See you."},
		{"signature then quote", "Done.\n\n-- \nJohn\n\nOn Sat, Nov 28, 2026 at 10:00 AM Support <s@example.com> wrote:\n> x", "Done."},
		{"from in body is not a block", "From: the docs I read, it works.\nThanks", "From: the docs I read, it works.\nThanks"},
		{"all quote", "> only\n> quoted\n", "> only\n> quoted"},
		{"all history", "On Sat, Nov 28, 2026 at 10:00 AM Support <s@example.com> wrote:\n> x\n", "On Sat, Nov 28, 2026 at 10:00 AM Support <s@example.com> wrote:\n> x"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Trim(tt.in); got != tt.want {
				t.Errorf("Trim(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
