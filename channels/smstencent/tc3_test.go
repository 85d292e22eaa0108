package smstencent_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
	"github.com/switchboard/switchboard/channels/smstencent"
)

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTC3Vector: the request the adapter sends to the real host at a
// fixed time, compared with a signature computed outside Go from the
// spec's five steps (Python's hashlib and hmac, see below) for this
// exact body, key and timestamp:
//
//	canonical = "POST\n/\n\ncontent-type:application/json\nhost:sms.tencentcloudapi.com\n\ncontent-type;host\n" + sha256hex(body)
//	toSign    = "TC3-HMAC-SHA256\n1700000000\n2023-11-14/sms/tc3_request\n" + sha256hex(canonical)
//	kSigning  = HMAC(HMAC(HMAC("TC3"+key, "2023-11-14"), "sms"), "tc3_request")
//	signature = hex(HMAC(kSigning, toSign))
func TestTC3Vector(t *testing.T) {
	const (
		wantBody = `{"PhoneNumberSet":["+8613800138000"],"SmsSdkAppId":"1400000001","TemplateId":"1234567","SignName":"腾讯云","TemplateParamSet":["Dana","A-17"],"SessionContext":"d-1"}`
		wantAuth = "TC3-HMAC-SHA256 Credential=AKIDexample0123456789/2023-11-14/sms/tc3_request, SignedHeaders=content-type;host, " +
			"Signature=025381cff5dea7facc6aead33d01606f000344a4120b7aea27479d18d30e0855"
	)
	var got *http.Request
	var gotBody []byte
	client := &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(bytes.NewBufferString(
			`{"Response":{"SendStatusSet":[{"SerialNo":"2433:1","PhoneNumber":"+8613800138000","Code":"Ok","Message":"send success"}],"RequestId":"r"}}`))}, nil
	})}
	c := &channels.Config{
		Settings: map[string]any{"sdkAppID": "1400000001", "signName": "腾讯云",
			"templates": []any{map[string]any{"id": "1234567", "name": "Shipped", "params": []any{"name", "order"}}}},
		Secrets: map[string]string{"secretID": "AKIDexample0123456789", "secretKey": "exampleKey0123456789abcdefghijkl"},
		HTTP:    client, Now: func() time.Time { return time.Unix(1700000000, 0) },
	}
	m := &channels.Outbound{DeliveryID: "d-1", Recipient: channels.Sender{ExternalID: "+8613800138000", Phone: "+8613800138000"},
		Template: &channels.TemplateMessage{ID: "1234567", Params: map[string]any{"order": "A-17", "name": "Dana"}}}
	id, err := smstencent.New().Send(context.Background(), c, m)
	if err != nil || id != "2433:1" {
		t.Fatalf("Send = %q, %v", id, err)
	}
	if string(gotBody) != wantBody {
		t.Errorf("body\n%s\nwant\n%s", gotBody, wantBody)
	}
	for h, want := range map[string]string{
		"Authorization": wantAuth, "Content-Type": "application/json", "X-TC-Action": "SendSms",
		"X-TC-Version": "2021-01-11", "X-TC-Timestamp": "1700000000", "X-TC-Region": "ap-guangzhou",
	} {
		if g := got.Header.Get(h); g != want {
			t.Errorf("%s = %q, want %q", h, g, want)
		}
	}
	if got.URL.String() != "https://sms.tencentcloudapi.com/" || got.Method != http.MethodPost {
		t.Errorf("request %s %s", got.Method, got.URL)
	}
}
