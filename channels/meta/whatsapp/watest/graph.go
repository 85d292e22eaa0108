package watest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/switchboard/switchboard/channels/channelstest"
)

func graphError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":%q,"type":"OAuthException","code":%d,"error_data":{"messaging_product":"whatsapp","details":%q},"fbtrace_id":"AbCdEf"}}`,
		msg, code, msg)
}

// serve is the Graph API (every call with the Bearer token):
// GET /{v}/{phone-number-id} (verify), GET /{v}/{waba}/message_templates,
// GET /{v}/{media-id} and the download URL it gives, and
// POST /{v}/{phone-number-id}/messages.
func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+AccessToken || r.URL.Query().Has("access_token") {
		f.mu.Lock()
		f.refused++
		f.mu.Unlock()
		graphError(w, http.StatusUnauthorized, 190, "Invalid OAuth access token - Cannot parse access token")
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/download/"); ok && r.Method == http.MethodGet {
		f.download(w, id)
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/"+Version+"/")
	switch {
	case !ok:
		graphError(w, http.StatusBadRequest, 2500, "Unknown path components")
	case r.Method == http.MethodGet && path == PhoneNumberID:
		if r.URL.Query().Get("fields") != "display_phone_number,verified_name" {
			graphError(w, http.StatusBadRequest, 100, "(#100) fields expected")
			return
		}
		fmt.Fprintf(w, `{"display_phone_number":%q,"verified_name":"Watest Shop","id":%q}`, DisplayNumber, PhoneNumberID)
	case r.Method == http.MethodGet && path == WABAID+"/message_templates":
		f.templates(w, r)
	case r.Method == http.MethodPost && path == PhoneNumberID+"/messages":
		f.send(w, r)
	case r.Method == http.MethodGet && !strings.Contains(path, "/"):
		f.mediaInfo(w, path)
	default:
		graphError(w, http.StatusBadRequest, 100, "(#100) Unsupported request - method type: "+strings.ToLower(r.Method))
	}
}

// templates lists Templates two per page, with Graph paging cursors.
func (f *Fake) templates(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.templateCalls++
	f.mu.Unlock()
	start := 0
	if a := r.URL.Query().Get("after"); a != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(a, "cursor-"))
		if err != nil || n < 0 || n > len(Templates) {
			graphError(w, http.StatusBadRequest, 100, "(#100) Invalid after cursor")
			return
		}
		start = n
	}
	end := min(start+2, len(Templates))
	var data []any
	for i, t := range Templates[start:end] {
		comps := []any{map[string]any{"type": "BODY", "text": t.Body}}
		if t.Header != nil {
			comps = append([]any{t.Header}, comps...)
		}
		comps = append(comps, map[string]any{"type": "FOOTER", "text": "Watest Shop"})
		data = append(data, map[string]any{"name": t.Name, "language": t.Language, "status": t.Status,
			"category": "UTILITY", "id": fmt.Sprint(900 + start + i), "components": comps})
	}
	paging := map[string]any{"cursors": map[string]any{"before": fmt.Sprintf("cursor-%d", start), "after": fmt.Sprintf("cursor-%d", end)}}
	if end < len(Templates) {
		paging["next"] = fmt.Sprintf("%s/%s/%s/message_templates?after=cursor-%d", f.srv.URL, Version, WABAID, end)
	}
	json.NewEncoder(w).Encode(map[string]any{"data": data, "paging": paging})
}

func (f *Fake) mediaInfo(w http.ResponseWriter, id string) {
	f.mu.Lock()
	m, ok := f.media[id]
	f.mu.Unlock()
	if !ok {
		graphError(w, http.StatusBadRequest, 100, "(#100) Unsupported get request. Object with ID '"+id+"' does not exist")
		return
	}
	fmt.Fprintf(w, `{"url":%q,"mime_type":%q,"sha256":"x","file_size":%d,"id":%q,"messaging_product":"whatsapp"}`,
		f.srv.URL+"/download/"+id+"?ext=1&hash=ATs", m.contentType, len(m.data), id)
}

func (f *Fake) download(w http.ResponseWriter, id string) {
	f.mu.Lock()
	m, ok := f.media[id]
	if ok {
		f.mediaCalls++
	}
	f.mu.Unlock()
	if !ok {
		http.NotFound(w, nil)
		return
	}
	w.Header().Set("Content-Type", m.contentType)
	w.Write(m.data)
}

// outgoing is a send as the Cloud API reads it.
type outgoing struct {
	MessagingProduct string `json:"messaging_product"`
	RecipientType    string `json:"recipient_type"`
	To               string `json:"to"`
	Type             string `json:"type"`
	Context          *struct {
		MessageID string `json:"message_id"`
	} `json:"context"`
	Text *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image, Audio, Video, Document *struct {
		Link     string `json:"link"`
		Filename string `json:"filename"`
	}
	Template *struct {
		Name     string `json:"name"`
		Language struct {
			Code string `json:"code"`
		} `json:"language"`
		Components []struct {
			Type       string  `json:"type"`
			Parameters []Param `json:"parameters"`
		} `json:"components"`
	} `json:"template"`
}

var (
	waID        = regexp.MustCompile(`^[0-9]{6,15}$`)
	placeholder = regexp.MustCompile(`\{\{([A-Za-z0-9_]+)\}\}`)
)

// UnmarshalJSON reads a template parameter.
func (p *Param) UnmarshalJSON(b []byte) error {
	var x struct {
		Type string `json:"type"`
		Name string `json:"parameter_name"`
		Text string `json:"text"`
	}
	err := json.Unmarshal(b, &x)
	*p = Param(x)
	return err
}

func (f *Fake) send(w http.ResponseWriter, r *http.Request) {
	var o outgoing
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil || o.MessagingProduct != "whatsapp" ||
		(o.RecipientType != "" && o.RecipientType != "individual") || !waID.MatchString(o.To) {
		graphError(w, http.StatusBadRequest, 100, "(#100) Invalid parameter")
		return
	}
	s := Sent{To: o.To, Type: o.Type, MessagingProduct: o.MessagingProduct, RecipientType: o.RecipientType}
	if o.Context != nil {
		s.ContextID = o.Context.MessageID
	}
	media := map[string]*struct {
		Link     string `json:"link"`
		Filename string `json:"filename"`
	}{"image": o.Image, "audio": o.Audio, "video": o.Video, "document": o.Document}
	switch {
	case o.Type == "text" && o.Text != nil && o.Text.Body != "" && len([]rune(o.Text.Body)) <= 4096:
		s.Text = o.Text.Body
	case media[o.Type] != nil && media[o.Type].Link != "":
		s.Link, s.Filename = media[o.Type].Link, media[o.Type].Filename
	case o.Type == "template" && o.Template != nil && o.Template.Name != "" && o.Template.Language.Code != "":
		s.Template, s.Language = o.Template.Name, o.Template.Language.Code
		for _, c := range o.Template.Components {
			if c.Type != "body" {
				graphError(w, http.StatusBadRequest, 132012, "Parameter format does not match format in the created template")
				return
			}
			s.Params = append(s.Params, c.Parameters...)
		}
		text, code, msg := render(s)
		if code != 0 {
			graphError(w, http.StatusBadRequest, code, msg)
			return
		}
		s.Text = text
	default:
		graphError(w, http.StatusBadRequest, 100, "(#100) Invalid parameter: the message does not match its type")
		return
	}
	f.answer(w, s)
}

// render is a template send's body as the customer reads it, or the
// Cloud API's error.
func render(s Sent) (string, int, string) {
	for _, t := range Templates {
		if t.Name != s.Template || t.Language != s.Language || t.Status != "APPROVED" {
			continue
		}
		want := placeholder.FindAllStringSubmatch(t.Body, -1)
		if len(want) != len(s.Params) {
			return "", 132000, "Number of parameters does not match the expected number of params"
		}
		text := t.Body
		for i, p := range s.Params {
			if p.Type != "text" || p.Name != "" {
				return "", 132012, "Parameter format does not match format in the created template"
			}
			text = strings.ReplaceAll(text, "{{"+strconv.Itoa(i+1)+"}}", p.Text)
		}
		return text, 0, ""
	}
	return "", 132001, "Template name does not exist in the translation"
}

// answer records a send and answers it as the next Answer or Failure says.
func (f *Fake) answer(w http.ResponseWriter, s Sent) {
	f.mu.Lock()
	var next scripted
	if len(f.next) > 0 {
		next, f.next = f.next[0], f.next[1:]
	}
	a, fail := next.answer, next.failure
	f.sends = append(f.sends, s)
	f.n++
	n := f.n
	f.mu.Unlock()
	if fail != nil {
		if fail.RetryAfter != "" {
			w.Header().Set("Retry-After", fail.RetryAfter)
		}
		graphError(w, fail.Status, fail.Code, fail.Message)
		return
	}
	switch a.Outcome {
	case channelstest.Permanent:
		graphError(w, http.StatusBadRequest, 131026, "Message undeliverable")
	case channelstest.Transient:
		graphError(w, http.StatusInternalServerError, 131000, "Something went wrong")
	case channelstest.RateLimited:
		// Meta documents no Retry-After for WhatsApp: the adapter waits a
		// minute.
		graphError(w, http.StatusBadRequest, 130429, "Rate limit hit")
	default:
		id := a.ID
		if id == "" {
			id = fmt.Sprintf("wamid.HBgLMTU1NTAwMDEyMzQVAgARGBI%04d", n)
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"wa_id":%q}],"messages":[{"id":%q}]}`, s.To, s.To, id)
	}
}
