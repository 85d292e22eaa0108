package mail

import (
	"testing"
)

const alternativeHTML = `<html><head><style>p{color:red}</style></head><body>
<p onclick="steal()">Hello <b>there</b>,</p>
<script>alert("x")</script>
<p>See the logo: <img src="cid:logo@sb" alt="logo"></p>
</body></html>`

const htmlOnly = `<!DOCTYPE html><html><head><title>Ignored title</title>
<style>.x { display: none }</style><script>var secret = 1;</script></head>
<body><h1>Order update</h1>
<p>Your order has <em>shipped</em>.<br>Track it <a href="https://track.example/123">here</a>.</p>
<ul><li>Item one</li><li>Item two</li></ul>
<div>Questions? Write to <a href="mailto:help@example.com">help@example.com</a></div>
</body></html>`

func moreFixtures(t testing.TB) map[string][]byte {
	f := map[string][]byte{}
	f["alternative.eml"] = new(msg).l(
		"From: Alice <alice@Example.org>",
		"To: Support <support@switchboard.test>, bob@example.org",
		"Cc: \"Carol, C.\" <carol@example.org>",
		"Reply-To: replies@example.org",
		"Subject: Hello",
		"Date: Sat, 28 Nov 2026 10:00:00 +0000",
		"Message-ID: <alt-1@example.org>",
		`Content-Type: multipart/alternative; boundary="alt"`,
		"",
		"--alt",
		"Content-Type: text/plain; charset=utf-8",
		"",
		"Hello there,",
		"See the logo.",
		"--alt",
		"Content-Type: text/html; charset=utf-8",
		"Content-Transfer-Encoding: quoted-printable",
		"",
	).b(qp(crlf(alternativeHTML))).l("", "--alt--").Bytes()

	f["html-only.eml"] = new(msg).l(
		"From: shop@example.com",
		"Subject: Order update",
		"Content-Type: text/html; charset=utf-8",
		"",
		htmlOnly,
	).Bytes()

	f["related.eml"] = new(msg).l(
		"From: bob@example.org",
		"Subject: logo",
		`Content-Type: multipart/related; boundary="rel"; type="multipart/alternative"`,
		"",
		"--rel",
		`Content-Type: multipart/alternative; boundary="alt2"`,
		"",
		"--alt2",
		"Content-Type: text/plain",
		"",
		"Our logo is attached.",
		"--alt2",
		"Content-Type: text/html",
		"",
		`<p>Our logo: <img src="cid:logo.123@example.org"></p>`,
		"--alt2--",
		"",
		"--rel",
		"Content-Type: image/png",
		"Content-Transfer-Encoding: base64",
		"Content-ID: <logo.123@example.org>",
		"Content-Disposition: inline",
		"",
	).b(b64(png())).l("--rel--", "").Bytes()

	f["dsn.eml"] = new(msg).l(
		"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>",
		"To: support@switchboard.test",
		"Subject: Undelivered Mail Returned to Sender",
		"Auto-Submitted: auto-replied",
		`Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"`,
		"",
		"--dsn",
		"Content-Type: text/plain; charset=us-ascii",
		"",
		"I'm sorry to have to inform you that your message could not be delivered.",
		"",
		"--dsn",
		"Content-Type: message/delivery-status",
		"",
		"Reporting-MTA: dns; mx.example.net",
		"Original-Envelope-Id: ENVID-NOT-THE-MESSAGE-ID",
		"Arrival-Date: Sat, 28 Nov 2026 10:00:00 +0000",
		"",
		"Final-Recipient: rfc822; nobody@Example.NET",
		"Original-Recipient: rfc822;nobody@example.net",
		"Action: failed",
		"Status: 5.1.1",
		"Remote-MTA: dns; mx2.example.net",
		"Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.net>: Recipient address",
		"    rejected: User unknown",
		"",
		"--dsn",
		"Content-Type: text/rfc822-headers",
		"",
		"From: support@switchboard.test",
		"To: nobody@example.net",
		"Subject: Re: your ticket",
		"Message-ID: <reply-42@switchboard.test>",
		"",
		"--dsn--",
	).Bytes()

	f["truncated-base64.eml"] = new(msg).l(
		"From: a@example.com",
		"Subject: cut",
		`Content-Type: multipart/mixed; boundary="cut"`,
		"",
		"--cut",
		"Content-Type: text/plain",
		"",
		"The file is attached.",
		"--cut",
		"Content-Type: application/octet-stream; name=data.bin",
		"Content-Transfer-Encoding: base64",
		"",
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g!!ISIjJCUmJygpKissLS4vMDEy",
		"MzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9Q", // cut mid-way, no closing boundary
	).Bytes()

	f["unknown-charset.eml"] = new(msg).l(
		"From: x@example.com",
		"Subject: =?x-unknown-42?B?aGVsbG8=?= world",
		"Content-Type: text/plain; charset=x-unknown-42",
		"",
		"plain ascii survives",
	).Bytes()

	f["no-body.eml"] = new(msg).l(
		"From: x@example.com",
		"Subject: nothing",
	).Bytes()

	f["garbage-body.eml"] = new(msg).l(
		"From: x@example.com",
		"Subject: noise",
		"Content-Type: text/plain; charset=utf-8",
		"",
	).b(garbage(512)).Bytes()

	f["garbage.bin"] = garbage(1024)
	return f
}
