package scoring

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
func Parse(name string, data []byte) (*Set, error) {
	set, err := Decode(name, data)
	if err != nil {
		return nil, err
	}
	if ps := Validate(name, set); len(ps) > 0 {
		return nil, ps
	}
	return set, nil
}

// Decode decodes a YAML document into a set without validating it. Unknown
// fields and values of the wrong type are Problems.
func Decode(name string, data []byte) (*Set, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var set Set
	err := dec.Decode(&set)
	if err == io.EOF {
		return nil, Problems{{File: name, Msg: "the file is empty"}}
	}
	if err != nil {
		return nil, yamlProblems(name, err)
	}
	var extra yaml.Node
	if dec.Decode(&extra) != io.EOF {
		return nil, Problems{{File: name, Msg: "the file holds more than one YAML document"}}
	}
	return &set, nil
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
