package webchat

import "testing"

func TestOriginAllowed(t *testing.T) {
	settings := map[string]any{OriginsSetting: []any{"https://Shop.Example.com/", 42, "http://localhost:3000"}}
	for _, tc := range []struct {
		origin string
		want   bool
	}{
		{"https://shop.example.com", true},
		{"HTTPS://SHOP.EXAMPLE.COM/", true},
		{"http://localhost:3000", true},
		{"http://shop.example.com", false},
		{"https://evil.example.com", false},
		{"", false},
	} {
		if got := OriginAllowed(settings, tc.origin); got != tc.want {
			t.Errorf("OriginAllowed(%q) = %v, want %v", tc.origin, got, tc.want)
		}
	}
	if got := AllowedOrigins(nil); len(got) != 0 {
		t.Errorf("AllowedOrigins(nil) = %v, want none", got)
	}
}
