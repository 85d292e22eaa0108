package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/email"
	"github.com/switchboard/switchboard/channels/email/emailtest"
	"github.com/switchboard/switchboard/channels/email/mail"
	"github.com/switchboard/switchboard/ent/privacy"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/receivers"
	"github.com/switchboard/switchboard/internal/testenv"
)

// BenchmarkEmailImport: a mailbox holding 2,000 mails (GBK multipart,
// each with a PDF, from 200 customers) is read, parsed and stored by the
// email channel's receiver, each mail with its attachment and its source
// as files; reported as mails/s next to parsing the same mails alone.
//
//	go test -run '^$' -bench EmailImport -benchtime 1x ./server/
func BenchmarkEmailImport(b *testing.B) {
	const n = 2000
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = gbkMail(fmt.Sprintf("bench-%d@customer.test", i), fmt.Sprintf("customer%d@customer.test", i%200), "订单问题", fmt.Sprintf("第 %d 封邮件：我的订单还没到。", i))
	}
	start := time.Now()
	for _, r := range raws {
		if _, err := mail.Parse(r); err != nil {
			b.Fatal(err)
		}
	}
	parseRate := n / time.Since(start).Seconds()

	for range b.N {
		p := emailtest.Start(b)
		for _, r := range raws {
			p.Deliver(b, r)
		}
		s := testenv.NewTuned(b, testenv.OpenDB(b), []testenv.Tuning{func(o *app.Options) {
			o.Adapters = []channels.Adapter{&email.Adapter{TLSConfig: p.TLSConfig, Batch: 50}}
			o.Receivers = receivers.Options{Scan: 20 * time.Millisecond}
		}})
		tok := s.AdminToken(b)
		var ch struct{ CreateChannel struct{ ID string } }
		s.MustDo(b, tok, `mutation($s: Map, $x: Map) { createChannel(input: {kind: "email", name: "Mail", settings: $s, secrets: $x}) { id } }`,
			map[string]any{"s": p.Settings(), "x": p.Secrets()}, &ch)
		ctx := privacy.DecisionContext(context.Background(), privacy.Allow)
		began := time.Now()
		s.MustDo(b, tok, `mutation($id: ID!) { setChannelEnabled(id: $id, enabled: true) { id } }`, map[string]any{"id": ch.CreateChannel.ID}, nil)
		for {
			got, err := s.App.Client.Message.Query().Count(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if got >= n {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		rate := n / time.Since(began).Seconds()
		b.ReportMetric(rate, "mails/s")
		b.ReportMetric(parseRate, "parsed-only-mails/s")
		b.ReportMetric(rate/parseRate, "ratio")
	}
}
