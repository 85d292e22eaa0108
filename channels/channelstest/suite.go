package channelstest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/switchboard/switchboard/channels"
)

// check is one conformance check.
type check struct {
	name string
	run  func(t TB, a channels.Adapter, f Fake)
}

// checks is the suite, in the order Run runs it.
var checks = []check{
	{"describe", checkDescribe},
	{"validate/unknown fields", checkValidateUnknown},
	{"webhook/genuine", checkGenuine},
	{"webhook/replayed", checkReplayed},
	{"webhook/forged", checkForged},
	{"webhook/malformed", checkMalformed},
	{"webhook/garbage", checkGarbage},
	{"receipts/in order", checkReceiptsInOrder},
	{"receipts/out of order", checkReceiptsOutOfOrder},
	{"receipts/failed", checkReceiptsFailed},
	{"send/ok", checkSendOK},
	{"send/permanent", checkSendPermanent},
	{"send/transient", checkSendTransient},
	{"send/rate limited", checkSendRateLimited},
	{"send/reply fields", checkSendReplyFields},
	{"send/template", checkSendTemplate},
	{"send/wrong credentials", checkSendWrongCredentials},
}

// Run runs the conformance suite against a, talking to f, each check as
// a subtest of t.
func Run(t *testing.T, a channels.Adapter, f Fake) {
	t.Helper()
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) { c.run(t, a, f) })
	}
}

var kindName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func checkDescribe(t TB, a channels.Adapter, f Fake) {
	d := a.Describe()
	if !kindName.MatchString(d.Kind) {
		t.Errorf("Describe().Kind = %q, want lower_snake", d.Kind)
	}
	if d.DisplayName == "" {
		t.Errorf("Describe().DisplayName is empty")
	}
	for _, fs := range []struct {
		fields []channels.Field
		secret bool
	}{{d.Settings, false}, {d.Secrets, true}} {
		for _, fl := range fs.fields {
			switch typ := fl.TypeOf(fs.secret); typ {
			case channels.FieldString, channels.FieldSecret, channels.FieldURL, channels.FieldNumber,
				channels.FieldBoolean, channels.FieldList:
			case channels.FieldSelect:
				if len(fl.Options) == 0 {
					t.Errorf("field %s is a SELECT without options", fl.Name)
				}
			default:
				t.Errorf("field %s has unknown type %q", fl.Name, typ)
			}
			if fs.secret && fl.TypeOf(true) != channels.FieldSecret {
				t.Errorf("secret %s has type %s, want SECRET", fl.Name, fl.TypeOf(true))
			}
		}
	}
	c := f.Config(t)
	if err := a.Validate(c.Settings, c.Secrets); err != nil {
		t.Errorf("Validate refuses the fake's config: %v", err)
	}
	for k := range c.Settings {
		if !described(d.Settings, k) {
			t.Errorf("setting %q of the fake's config is not in Describe().Settings", k)
		}
	}
	for k := range c.Secrets {
		if !described(d.Secrets, k) {
			t.Errorf("secret %q of the fake's config is not in Describe().Secrets", k)
		}
	}
	if !d.Capabilities.Templates {
		return
	}
	tpls := templates(t, a, c)
	for _, tp := range tpls {
		if tp.ID == "" || tp.Name == "" {
			t.Errorf("template %+v has no id or name", tp)
		}
	}
}

func described(fields []channels.Field, name string) bool {
	for _, f := range fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// checkValidateUnknown: fields the kind does not describe are refused
// with a *channels.FieldError naming them, so an admin sees which.
func checkValidateUnknown(t TB, a channels.Adapter, f Fake) {
	c := f.Config(t)
	const name = "conformanceUnknownField"
	settings := map[string]any{name: "x"}
	for k, v := range c.Settings {
		settings[k] = v
	}
	var fe *channels.FieldError
	if err := a.Validate(settings, c.Secrets); !errors.As(err, &fe) || fe.Field != name || fe.Secret {
		t.Errorf("Validate with an unknown setting = %v, want a *channels.FieldError about setting %s", err, name)
	}
	secrets := map[string]string{name: "0123456789abcdef0123456789abcdef"}
	for k, v := range c.Secrets {
		secrets[k] = v
	}
	if err := a.Validate(c.Settings, secrets); !errors.As(err, &fe) || fe.Field != name || !fe.Secret {
		t.Errorf("Validate with an unknown secret = %v, want a *channels.FieldError about secret %s", err, name)
	}
}

// templates returns the adapter's templates, at least one.
func templates(t TB, a channels.Adapter, c *channels.Config) []channels.Template {
	t.Helper()
	tr, ok := a.(channels.Templater)
	if !ok {
		t.Fatalf("Capabilities.Templates is set but the adapter is not a channels.Templater")
	}
	tpls, err := tr.Templates(ctx(t), c)
	if err != nil || len(tpls) == 0 {
		t.Fatalf("Templates = %v, %v; want the fake config's templates (give it at least one)", tpls, err)
	}
	return tpls
}

// ctx is a context for one adapter call, ended with the check.
func ctx(t TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// body reads a request's body once, as the server does.
func body(t TB, r *http.Request) []byte {
	t.Helper()
	if r == nil {
		t.Fatalf("the fake built a nil request")
	}
	if r.Body == nil {
		return nil
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("reading the fake's request: %v", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

// receive hands r to the adapter as the server would, reporting a panic
// as a failure. r may be received again.
func receive(t TB, a channels.Adapter, c *channels.Config, r *http.Request) (d *channels.Delivery, err error) {
	t.Helper()
	b := body(t, r)
	req := r.Clone(ctx(t))
	req.Body = io.NopCloser(bytes.NewReader(b))
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("Receive panicked: %v", p)
			d, err = nil, errors.New("panic")
		}
	}()
	return a.Receive(req.Context(), c, req, b)
}

// status is err's HTTP status if it is a *channels.Error, else 0.
func status(err error) int {
	var e *channels.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}
