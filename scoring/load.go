package scoring

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a criteria set file: where and why.
type Problem struct {
	File    string // the file's base name
	Path    string // e.g. "criteria[2].indicators[1].options[0].points", or "line 7"
	Msg     string
	Warning bool // allowed, but likely to mislead (see Warnings)
}

func (p Problem) Error() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File + ": ")
	}
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	if p.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in one file; it is returned as an error.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// AsProblems returns the problems err carries, or err itself as one problem.
func AsProblems(err error) Problems {
	var ps Problems
	if errors.As(err, &ps) {
		return ps
	}
	return Problems{{Msg: err.Error()}}
}

// LoadFile reads and validates the criteria set in a YAML file.
func LoadFile(path string) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read criteria set: %w", err)
	}
	return Parse(filepath.Base(path), data)
}

// Parse decodes and validates the criteria set in a YAML document; name is
// the file name used in problems. A set that does not validate returns nil
// and Problems.
//
// Every problem is reported at once: unknown fields do not stop the
// validation of the rest, so a file with a misspelt field and a pass mark
// above the total shows both.
func Parse(name string, data []byte) (*Set, error) {
	set, unknown, err := decode(name, data)
	if err != nil {
		return nil, err
	}
	ps := append(unknown, Validate(name, set)...)
	if len(ps) > 0 {
		return nil, ps
	}
	return set, nil
}

// Lint returns every problem of a YAML document and then every warning
// (see Warnings), the warnings even when the set has problems.
func Lint(name string, data []byte) Problems {
	set, unknown, err := decode(name, data)
	if err != nil {
		return AsProblems(err)
	}
	return append(append(unknown, Validate(name, set)...), Warnings(name, set)...)
}

// Decode decodes a YAML document into a set without validating it. Unknown
// fields and values of the wrong type are Problems.
func Decode(name string, data []byte) (*Set, error) {
	set, unknown, err := decode(name, data)
	if err != nil {
		return nil, err
	}
	if len(unknown) > 0 {
		return nil, unknown
	}
	return set, nil
}

// decode decodes a YAML document into a set, and names each unknown field
// by its path apart: they leave the rest of the set readable.
func decode(name string, data []byte) (*Set, Problems, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if err == io.EOF {
		return nil, nil, Problems{{File: name, Msg: "the file is empty"}}
	}
	if err != nil {
		return nil, nil, yamlProblems(name, err)
	}
	var extra yaml.Node
	if dec.Decode(&extra) != io.EOF {
		return nil, nil, Problems{{File: name, Msg: "the file holds more than one YAML document"}}
	}
	var set Set
	if err := doc.Decode(&set); err != nil {
		return nil, nil, yamlProblems(name, err)
	}
	var unknown Problems
	unknownFields(&doc, reflect.TypeOf(set), "", func(path, key string, line int) {
		at := fmt.Sprintf("line %d", line)
		if path != "" {
			at = path + " (" + at + ")"
		}
		unknown = append(unknown, Problem{File: name, Path: at, Msg: fmt.Sprintf("unknown field %q", key)})
	})
	return &set, unknown, nil
}

// unknownFields walks a YAML node beside the Go type it decodes into and
// calls found for every mapping key the type has no field for, with the
// path of the mapping ("criteria[0].indicators[2]", "" at the top).
func unknownFields(n *yaml.Node, t reflect.Type, path string, found func(path, key string, line int)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			unknownFields(c, t, path, found)
		}
	case yaml.SequenceNode:
		if t.Kind() != reflect.Slice {
			return
		}
		for i, c := range n.Content {
			unknownFields(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), found)
		}
	case yaml.MappingNode:
		if t.Kind() != reflect.Struct {
			return
		}
		fields := map[string]reflect.Type{}
		for i := range t.NumField() {
			f := t.Field(i)
			if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag != "" && tag != "-" {
				fields[tag] = f.Type
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			ft, ok := fields[key.Value]
			if !ok {
				found(path, key.Value, key.Line)
				continue
			}
			sub := key.Value
			if path != "" {
				sub = path + "." + key.Value
			}
			unknownFields(value, ft, sub, found)
		}
	}
}

var (
	yamlLine         = regexp.MustCompile(`^line (\d+): (.*)$`)
	yamlUnknownField = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
	yamlTypeMismatch = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
)

// yamlProblems turns a YAML decoding error into problems that say the line
// and why in words a criteria author understands.
func yamlProblems(name string, err error) Problems {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	ps := make(Problems, 0, len(msgs))
	for _, m := range msgs {
		p := Problem{File: name, Msg: m}
		if g := yamlLine.FindStringSubmatch(m); g != nil {
			p.Path, p.Msg = "line "+g[1], g[2]
		}
		if g := yamlUnknownField.FindStringSubmatch(p.Msg); g != nil {
			p.Msg = fmt.Sprintf("unknown field %q", g[1])
		} else if g := yamlTypeMismatch.FindStringSubmatch(p.Msg); g != nil {
			p.Msg = fmt.Sprintf("%q is not %s", g[2], goTypeWords(g[3]))
		}
		ps = append(ps, p)
	}
	return ps
}

// goTypeWords names a Go type of the model in an author's words.
func goTypeWords(t string) string {
	switch t {
	case "float64", "int", "*float64":
		return "a number"
	case "bool":
		return "true or false"
	case "string", "scoring.Kind", "scoring.Status", "scoring.AnswerKind",
		"scoring.Certainty", "scoring.NAPolicy", "scoring.EvidenceRule":
		return "a text"
	}
	if strings.HasPrefix(t, "[]") {
		return "a list"
	}
	return "a mapping (key: value lines)"
}
