package server

import (
	"embed"
	"net/http"
	"path"
)

// The console is GraphiQL, served with its libraries from the binary so
// that it works with no internet: graphiql 3.8.3, react and react-dom
// 18.3.1 (MIT), their npm packages' minified UMD builds, gzip-compressed
// (see console/README.md).
//
//go:embed console/*.gz
var consoleFiles embed.FS

// consoleHandlers returns the console page and its assets by path.
func consoleHandlers() map[string]http.Handler {
	out := map[string]http.Handler{"/": newAsset("text/html; charset=utf-8", "no-cache", []byte(consolePage))}
	entries, _ := consoleFiles.ReadDir("console")
	for _, e := range entries {
		gz, _ := consoleFiles.ReadFile("console/" + e.Name())
		name := e.Name()[:len(e.Name())-len(".gz")]
		typ := "text/javascript; charset=utf-8"
		if path.Ext(name) == ".css" {
			typ = "text/css; charset=utf-8"
		}
		out["/console/"+name] = newGzipAsset(typ, "public, max-age=86400", gz, nil)
	}
	return out
}

// consolePage starts GraphiQL on /graphql. Send credentials in its headers
// editor: {"authorization": "Bearer <token>"}.
const consolePage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard</title>
<link rel="stylesheet" href="/console/graphiql.min.css">
<style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
<div id="graphiql">Loading the console...</div>
<script src="/console/react.production.min.js"></script>
<script src="/console/react-dom.production.min.js"></script>
<script src="/console/graphiql.min.js"></script>
<script>
  const fetcher = GraphiQL.createFetcher({ url: new URL("/graphql", location.href).href });
  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(GraphiQL, {
    fetcher,
    shouldPersistHeaders: true,
    defaultEditorToolsVisibility: true,
    defaultHeaders: '{\n  "authorization": "Bearer <token from signIn>"\n}',
    defaultQuery: 'mutation SignIn {\n  signIn(email: "admin@example.com", password: "") { token }\n}\n',
  }));
</script>
</body>
</html>
`
