package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/sys/unix"

	"hoctap/locales"
	"hoctap/scoring"
	"hoctap/scoring/xlsx"
)

func criteriaCommands() map[string]command {
	return map[string]command{
		"list":   {usage: "", summary: "one set version per line: id, version, kind, status, title", run: criteriaList},
		"lint":   {usage: "[FILE...]", summary: "check criteria set files, or every known set", run: criteriaLint},
		"show":   {usage: "ID|FILE [--json] [--lang vi|en]", summary: "show a set for a person to read, or as JSON", run: criteriaShow},
		"score":  {usage: "ID|FILE ANSWERS.json [--region normal|hardship]", summary: "score answers against a set", run: criteriaScore},
		"import": {usage: "FILE.xlsx [-o FILE.yaml]", summary: "turn an Excel workbook into a criteria set file", run: criteriaImport},
		"export": {usage: "ID|FILE [-o FILE.xlsx]", summary: "write a criteria set as an Excel workbook", run: criteriaExport},
	}
}

func runCriteria(e *env, args []string) error {
	return dispatch(e, "criteria", criteriaCommands(), args)
}

// catalog loads the shipped sets and those in CRITERIA_DIR. A broken file
// there is reported on stderr and left out; lint is the place to see why.
func catalog(e *env) (*scoring.Catalog, error) {
	cat, err := scoring.LoadCatalog(e.getenv("CRITERIA_DIR"))
	if cat == nil {
		return nil, err
	}
	if err != nil {
		e.log.Warn("some criteria sets were left out; run 'hoctap criteria lint' to see why", "problems", len(flatten(err)))
	}
	return cat, nil
}

// resolveSet finds a set named by id, id@version, or a file path.
func resolveSet(e *env, ref string) (*scoring.Set, error) {
	if isFileRef(ref) {
		return loadSetFile(ref)
	}
	cat, err := catalog(e)
	if err != nil {
		return nil, err
	}
	return cat.Lookup(ref)
}

// isFileRef reports whether a set reference names a file rather than an id.
func isFileRef(ref string) bool {
	switch strings.ToLower(filepath.Ext(ref)) {
	case ".yaml", ".yml", ".xlsx":
		return true
	}
	if strings.ContainsRune(ref, filepath.Separator) {
		return true
	}
	_, err := os.Stat(ref)
	return err == nil
}

// loadSetFile loads and validates a set from a YAML file or an Excel workbook.
func loadSetFile(path string) (*scoring.Set, error) {
	if !strings.EqualFold(filepath.Ext(path), ".xlsx") {
		return scoring.LoadFile(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read criteria workbook: %w", err)
	}
	defer f.Close()
	return xlsx.Import(filepath.Base(path), f)
}

func criteriaImport(e *env, args []string) error {
	fs, out := flags(e, "hoctap criteria import", "FILE.xlsx [-o FILE.yaml]")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("import takes one workbook")
	}
	set, err := loadSetFile(fs.Arg(0))
	if err != nil {
		for _, p := range flatten(err) {
			fmt.Fprintln(e.stderr, p)
		}
		return errFound
	}
	return writeResult(e, *out, func(w io.Writer) error {
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(set); err != nil {
			return fmt.Errorf("write YAML: %w", err)
		}
		return enc.Close()
	})
}

func criteriaExport(e *env, args []string) error {
	fs, out := flags(e, "hoctap criteria export", "ID|FILE [-o FILE.xlsx]")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("export takes one set: an id, id@version, or a file")
	}
	if *out == "" && isTerminal(e.stdout) {
		return usageErrorf("a workbook is not for a terminal: give -o FILE.xlsx, or redirect stdout to a file")
	}
	set, err := resolveSet(e, fs.Arg(0))
	if err != nil {
		return err
	}
	return writeResult(e, *out, func(w io.Writer) error { return xlsx.Export(w, set) })
}

// isTerminal reports whether w is a terminal, where binary output would
// garble the screen (/dev/null and pipes are not).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// flatten lists the errors of a joined error, and the problems of each.
func flatten(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	var ps scoring.Problems
	if errors.As(err, &ps) {
		out := make([]error, len(ps))
		for i, p := range ps {
			out[i] = p
		}
		return out
	}
	return []error{err}
}

func criteriaList(e *env, args []string) error {
	fs, out := flags(e, "hoctap criteria list", "")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	cat, err := catalog(e)
	if err != nil {
		return err
	}
	return writeResult(e, *out, func(w io.Writer) error {
		for _, s := range cat.Sets() {
			if _, err := fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\n", s.ID, s.Version, s.Kind, s.Status, s.Title.VI); err != nil {
				return err
			}
		}
		return nil
	})
}

func criteriaLint(e *env, args []string) error {
	fs, out := flags(e, "hoctap criteria lint", "[FILE...]")
	if err := parse(fs, args); err != nil {
		return err
	}
	var problems, warnings []error
	warn := func(name string, set *scoring.Set) {
		for _, w := range scoring.Warnings(name, set) {
			warnings = append(warnings, w)
		}
	}
	checked := 0
	if fs.NArg() == 0 {
		cat, err := scoring.LoadCatalog(e.getenv("CRITERIA_DIR"))
		if cat == nil {
			return err
		}
		problems = flatten(err)
		checked = len(cat.Sets()) + len(problems)
		for _, set := range cat.Sets() {
			warn(set.Ref(), set)
		}
	}
	for _, path := range fs.Args() {
		checked++
		if !strings.EqualFold(filepath.Ext(path), ".xlsx") {
			data, err := os.ReadFile(path)
			if err != nil {
				problems = append(problems, fmt.Errorf("read criteria set: %w", err))
				continue
			}
			for _, p := range scoring.Lint(filepath.Base(path), data) {
				if p.Warning {
					warnings = append(warnings, p)
				} else {
					problems = append(problems, p)
				}
			}
			continue
		}
		set, err := loadSetFile(path)
		if err != nil {
			problems = append(problems, flatten(err)...)
			continue
		}
		warn(filepath.Base(path), set)
	}
	err := writeResult(e, *out, func(w io.Writer) error {
		for _, line := range folded(append(problems, warnings...)) {
			if _, err := fmt.Fprintln(w, line); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		fmt.Fprintf(e.stderr, "hoctap criteria lint: %d problem(s)\n", len(problems))
		return errFound
	}
	e.log.Info("criteria sets are valid", "checked", checked)
	return nil
}

// folded writes problems one a line, in order, but a problem whose file
// and message repeat an earlier one's (the English text missing in every
// indicator) is said once, with how many more there are.
func folded(problems []error) []string {
	type group struct {
		first string
		file  string
		more  int
	}
	var order []*group
	byKey := map[string]*group{}
	for _, err := range problems {
		var p scoring.Problem
		if !errors.As(err, &p) {
			order = append(order, &group{first: err.Error()})
			continue
		}
		key := fmt.Sprintf("%s\x00%v\x00%s", p.File, p.Warning, p.Msg)
		if g := byKey[key]; g != nil {
			g.more++
			continue
		}
		g := &group{first: p.Error(), file: p.File}
		byKey[key] = g
		order = append(order, g)
	}
	var lines []string
	for _, g := range order {
		lines = append(lines, g.first)
		if g.more > 0 {
			prefix := ""
			if g.file != "" {
				prefix = g.file + ": "
			}
			lines = append(lines, fmt.Sprintf("%s… and %d more like it", prefix, g.more))
		}
	}
	return lines
}

func criteriaShow(e *env, args []string) error {
	fs, out := flags(e, "hoctap criteria show", "ID|FILE [--json] [--lang vi|en]")
	asJSON := fs.Bool("json", false, "print the set as JSON for programs")
	lang := fs.String("lang", "vi", "language of the texts: vi or en")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageErrorf("show takes one set: an id, id@version, or a file")
	}
	if *lang != "vi" && *lang != "en" {
		return usageErrorf("--lang is vi or en, not %q", *lang)
	}
	set, err := resolveSet(e, fs.Arg(0))
	if err != nil {
		return err
	}
	return writeResult(e, *out, func(w io.Writer) error {
		if *asJSON {
			return writeJSON(w, showJSON(set, *lang))
		}
		_, err := io.WriteString(w, renderSet(set, locales.For(*lang)))
		return err
	})
}

func criteriaScore(e *env, args []string) error {
	fs, out := flags(e, "hoctap criteria score", "ID|FILE ANSWERS.json [--region normal|hardship]")
	region := fs.String("region", "normal", "class of the area: normal or hardship")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageErrorf("score takes a set and an answers file (- for stdin)")
	}
	if *region != string(scoring.RegionNormal) && *region != string(scoring.RegionHardship) {
		return usageErrorf("--region is normal or hardship, not %q", *region)
	}
	set, err := resolveSet(e, fs.Arg(0))
	if err != nil {
		return err
	}
	data, err := readInput(e, fs.Arg(1))
	if err != nil {
		return fmt.Errorf("read answers: %w", err)
	}
	answers, err := scoring.ParseAnswers(data)
	if err != nil {
		return fmt.Errorf("read answers: %w", err)
	}
	res, err := scoring.Score(set, answers, scoring.Region(*region))
	if err != nil {
		return fmt.Errorf("answers that do not fit %s:\n%w", set.Ref(), err)
	}
	return writeResult(e, *out, func(w io.Writer) error { return writeJSON(w, scoreJSON(res)) })
}

// readInput reads a file, or stdin for "-".
func readInput(e *env, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(e.stdin)
	}
	return os.ReadFile(path)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// The JSON shapes below are promises to other programs: keep them exactly.

type setJSON struct {
	ID         string          `json:"id"`
	Version    int             `json:"version"`
	Kind       scoring.Kind    `json:"kind"`
	Title      string          `json:"title"`
	Status     scoring.Status  `json:"status"`
	MaxPoints  float64         `json:"max_points"`
	Conditions []codeJSON      `json:"conditions"`
	Criteria   []criterionJSON `json:"criteria"`
}

type codeJSON struct {
	Code string `json:"code"`
}

type criterionJSON struct {
	Code       string            `json:"code"`
	MaxPoints  float64           `json:"max_points"`
	Relevant   *scoring.Relevant `json:"relevant,omitempty"`
	Indicators []indicatorJSON   `json:"indicators"`
}

type indicatorJSON struct {
	Code          string             `json:"code"`
	Kind          scoring.AnswerKind `json:"kind"`
	MaxPoints     float64            `json:"max_points"`
	NotApplicable bool               `json:"not_applicable"` // "not applicable" is offered
	Relevant      *scoring.Relevant  `json:"relevant,omitempty"`
	Derive        scoring.Derivation `json:"derive,omitempty"` // what a derived indicator is computed from
	Options       []optionJSON       `json:"options"`
	Bands         []bandJSON         `json:"bands"`
}

type optionJSON struct {
	Code   string  `json:"code"`
	Points float64 `json:"points"`
}

type bandJSON struct {
	Min    float64  `json:"min"`
	Max    *float64 `json:"max"`
	Points float64  `json:"points"`
}

func showJSON(s *scoring.Set, lang string) setJSON {
	out := setJSON{
		ID: s.ID, Version: s.Version, Kind: s.Kind, Title: s.Title.In(lang), Status: s.Status,
		MaxPoints: s.MaxPoints, Conditions: []codeJSON{}, Criteria: []criterionJSON{},
	}
	for _, c := range s.Conditions {
		out.Conditions = append(out.Conditions, codeJSON{c.Code})
	}
	for _, c := range s.Criteria {
		cj := criterionJSON{Code: c.Code, MaxPoints: c.MaxPoints, Relevant: c.Relevant, Indicators: []indicatorJSON{}}
		for _, ind := range c.Indicators {
			ij := indicatorJSON{Code: ind.Code, Kind: ind.Kind, MaxPoints: ind.MaxPoints, Relevant: ind.Relevant, Derive: ind.Derive,
				NotApplicable: s.OffersNA(ind.Code), Options: []optionJSON{}, Bands: []bandJSON{}}
			for _, o := range ind.Options {
				ij.Options = append(ij.Options, optionJSON{o.Code, o.Points})
			}
			for _, b := range ind.Bands {
				ij.Bands = append(ij.Bands, bandJSON{b.Min, b.Max, b.Points})
			}
			cj.Indicators = append(cj.Indicators, ij)
		}
		out.Criteria = append(out.Criteria, cj)
	}
	return out
}

type resultJSON struct {
	Total      float64      `json:"total"`
	Max        float64      `json:"max"`
	Passed     bool         `json:"passed"`
	Criteria   []pointsJSON `json:"criteria"`
	Indicators []pointsJSON `json:"indicators"`
	Failures   []string     `json:"failures"`
	Unanswered []string     `json:"unanswered"`
	Skipped    []string     `json:"skipped"` // indicators that do not apply by a relevant rule
}

type pointsJSON struct {
	Code   string  `json:"code"`
	Points float64 `json:"points"`
}

func scoreJSON(r scoring.Result) resultJSON {
	out := resultJSON{Total: r.Total, Max: r.Max, Passed: r.Passed, Criteria: []pointsJSON{},
		Indicators: []pointsJSON{}, Failures: []string{}, Unanswered: []string{}, Skipped: []string{}}
	for _, c := range r.Criteria {
		out.Criteria = append(out.Criteria, pointsJSON{c.Code, c.Points})
	}
	for _, i := range r.Indicators {
		out.Indicators = append(out.Indicators, pointsJSON{i.Code, i.Points})
		if i.Skipped {
			out.Skipped = append(out.Skipped, i.Code)
		}
	}
	for _, f := range r.Failures {
		out.Failures = append(out.Failures, f.String())
	}
	out.Unanswered = append(out.Unanswered, r.Unanswered...)
	return out
}
