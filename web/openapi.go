package web

import (
	_ "embed"
	"html/template"
	"net/http"
)

// openapiDoc describes /v1; TestOpenAPIMatchesRoutes keeps it true.
//
//go:embed openapi.json
var openapiDoc []byte

func openapi(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapiDoc)
}

var problemTmpl = template.Must(template.New("problem").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.title}}</title></head>
<body><h1>{{.title}}</h1><p>HTTP status {{.status}}. The <code>detail</code> member of the problem document says what happened.</p></body></html>
`))

// problemPage describes one problem type: RFC 9457 asks that a type URI
// lead to documentation of the problem.
func problemPage(w http.ResponseWriter, r *http.Request) {
	for _, k := range kinds {
		if k.name == r.PathValue("name") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			problemTmpl.Execute(w, map[string]any{"title": k.title, "status": k.status})
			return
		}
	}
	writeProblem(w, kindNotFound, "")
}
