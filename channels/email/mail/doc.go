// Package mail turns one raw RFC 5322 message, as the email channel fetches
// it, into what Switchboard stores: decoded headers, a readable text body, a
// sanitised HTML body, attachments, and the signals the adapter needs for
// threading (Message-ID, In-Reply-To, References, a subject hook) and for
// not answering machines (AutoSubmitted, Bounce). It does no I/O.
//
// MIME is read with github.com/emersion/go-message (its textproto header
// and multipart readers, and its charset package for labels beyond the ones
// mapped here). go-message rather than enmime because:
//   - the IMAP client the adapter uses (emersion/go-imap v2) is built on it,
//     so envelopes and bodies go through one MIME stack and one charset
//     table;
//   - its readers hand back what they parsed before an error (a header cut
//     by a malformed line, the parts before a missing boundary), so a broken
//     part costs only that part, and decoding stays in this package where
//     each failure becomes a Problem and each part counts against a size
//     budget;
//   - it pulls in golang.org/x/text only, where enmime brings its own
//     HTML-to-text, charset guessing and table renderer, and its derived
//     text is not the form the inbox wants (links as "text (url)").
//
// HTML is sanitised with bluemonday's UGC policy (plus cid: image sources)
// and turned into text with golang.org/x/net/html's tokenizer.
package mail
