package server

import (
	_ "embed"
	"net/http"
)

// widgetJS is the website chat widget: plain JavaScript that embedding
// sites load with <script src=".../widget.js" data-channel-key="...">.
//
//go:embed widget/widget.js
var widgetJS []byte

// widgetHandler serves the widget to any site, gzip-compressed when the
// browser accepts it, with a short cache lifetime and an ETag, so a new
// release reaches sites within minutes and costs them nothing when it has
// not changed.
func widgetHandler() http.Handler {
	a := newAsset("text/javascript; charset=utf-8", "public, max-age=300", widgetJS)
	a.cors = true
	return a
}
