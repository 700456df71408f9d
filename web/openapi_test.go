package web

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// openapiSpec is the part of an OpenAPI 3.1 document the checks read.
type openapiSpec struct {
	Paths map[string]map[string]struct {
		Responses map[string]struct {
			Content map[string]struct {
				Schema schema `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	} `json:"paths"`
	Components struct {
		Schemas map[string]schema `json:"schemas"`
	} `json:"components"`
}

type schema struct {
	Ref        string            `json:"$ref"`
	Type       string            `json:"type"`
	Required   []string          `json:"required"`
	Properties map[string]schema `json:"properties"`
	Items      *schema           `json:"items"`
	Enum       []any             `json:"enum"`
}

func loadSpec(t testing.TB) openapiSpec {
	var spec openapiSpec
	if err := json.Unmarshal(openapiDoc, &spec); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return spec
}

// The document lists exactly the routes the server answers, and every
// problem type it can send.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	spec := loadSpec(t)
	var documented, served []string
	for p, ops := range spec.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	for _, rt := range routes(&api{}, Options{}) {
		served = append(served, rt.method+" "+rt.path)
	}
	slices.Sort(documented)
	slices.Sort(served)
	if !slices.Equal(documented, served) {
		t.Errorf("openapi.json documents\n  %v\nthe server answers\n  %v", documented, served)
	}
	var types []string
	for _, v := range spec.Components.Schemas["Problem"].Properties["type"].Enum {
		types = append(types, fmt.Sprint(v))
	}
	for _, k := range kinds {
		if !slices.Contains(types, problemBase+k.name) {
			t.Errorf("problem type %s is missing from openapi.json", k.name)
		}
	}
}

// TestMain runs the tests, then checks every answer they received
// against openapi.json: its status is documented for the operation, its
// media type is the documented one, and its body holds what the schema
// requires. The handlers cannot drift from the document unnoticed.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if errs := checkSeen(); len(errs) > 0 {
			for _, e := range errs {
				fmt.Fprintln(os.Stderr, "openapi:", e)
			}
			code = 1
		}
	}
	os.Exit(code)
}

func checkSeen() []string {
	var spec openapiSpec
	if err := json.Unmarshal(openapiDoc, &spec); err != nil {
		return []string{err.Error()}
	}
	var errs []string
	for op, answers := range seen.m {
		method, path, _ := strings.Cut(op, " ")
		doc, ok := spec.Paths[path][strings.ToLower(method)]
		if !ok {
			errs = append(errs, op+" is not documented")
			continue
		}
		for _, a := range answers {
			resp, ok := doc.Responses[strconv.Itoa(a.status)]
			if !ok {
				errs = append(errs, fmt.Sprintf("%s answered %d, which is not documented: %s", op, a.status, a.body))
				continue
			}
			media, _, _ := strings.Cut(a.ctype, ";")
			content, ok := resp.Content[media]
			if !ok {
				errs = append(errs, fmt.Sprintf("%s answered %d as %s, not documented", op, a.status, media))
				continue
			}
			if content.Schema.Ref == "" && content.Schema.Type == "" {
				continue
			}
			var body any
			if err := json.Unmarshal(a.body, &body); err != nil {
				errs = append(errs, fmt.Sprintf("%s answered %d with invalid JSON: %v", op, a.status, err))
				continue
			}
			errs = append(errs, conforms(spec, content.Schema, body, op)...)
		}
	}
	return errs
}

// conforms checks v's types, required members and enums against s.
func conforms(spec openapiSpec, s schema, v any, at string) []string {
	if s.Ref != "" {
		return conforms(spec, spec.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")], v, at)
	}
	bad := func(f string, a ...any) []string { return []string{at + ": " + fmt.Sprintf(f, a...)} }
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, v) {
		return bad("%v is not one of %v", v, s.Enum)
	}
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return bad("want an object, got %T", v)
		}
		var errs []string
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				errs = append(errs, bad("member %q is missing", r)...)
			}
		}
		for name, sub := range s.Properties {
			if mv, ok := m[name]; ok {
				errs = append(errs, conforms(spec, sub, mv, at+"."+name)...)
			}
		}
		return errs
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return bad("want an array, got %T", v)
		}
		var errs []string
		for i, e := range arr {
			errs = append(errs, conforms(spec, *s.Items, e, fmt.Sprintf("%s[%d]", at, i))...)
		}
		return errs
	case "string":
		if _, ok := v.(string); !ok {
			return bad("want a string, got %T", v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return bad("want a boolean, got %T", v)
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			return bad("want an integer, got %v", v)
		}
	}
	return nil
}
