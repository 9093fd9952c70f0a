package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"hoctap/scoring"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// result is what a command run printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// hoctap runs the command in-process with the given environment and stdin.
func hoctap(t *testing.T, environ map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &env{
		stdin:  strings.NewReader(stdin),
		stdout: &out,
		stderr: &errOut,
		lookup: func(k string) (string, bool) { v, ok := environ[k]; return v, ok },
	})
	return result{code, out.String(), errOut.String()}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/hoctap -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from what was printed (run with -update if the change is meant):\n%s", path, got)
	}
}

func shippedSets(t *testing.T) []*scoring.Set {
	t.Helper()
	cat, err := scoring.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	return cat.Sets()
}

func TestCriteriaList(t *testing.T) {
	t.Parallel()
	r := hoctap(t, nil, "", "criteria", "list")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	sets := shippedSets(t)
	if len(lines) != len(sets) {
		t.Fatalf("%d lines for %d sets:\n%s", len(lines), len(sets), r.stdout)
	}
	if lines[0] != "citizen-2022\t1\tcitizen\tdraft\tCông dân học tập" {
		t.Errorf("first line %q", lines[0])
	}
	for _, line := range lines {
		if f := strings.Split(line, "\t"); len(f) != 5 {
			t.Errorf("line %q has %d fields, want id, version, kind, status, title", line, len(f))
		}
	}
}

func TestCriteriaListWithProvinceFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyFile(t, "../../scoring/testdata/sample.yaml", filepath.Join(dir, "sample.yaml"))
	r := hoctap(t, map[string]string{"CRITERIA_DIR": dir}, "", "criteria", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "sample\t2\tunit\tverified\tMẫu\n") {
		t.Errorf("exit %d, stdout:\n%s", r.code, r.stdout)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCriteriaLintListsEverything: unknown fields, a pass mark above the
// total and a negative yes/no statement, all in one run; a problem that
// repeats is said once with how many more there are.
func TestCriteriaLintListsEverything(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../scoring/testdata/sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(data), "kind: unit", "kind: unit\ncolour: red\nshape: round", 1)
	doc = strings.Replace(doc, "        kind: reviewer", "        kind: reviewer\n        weight: 2", 1)
	doc = strings.Replace(doc, "{normal: 80,", "{normal: 180,", 1)
	doc = strings.Replace(doc, "{vi: Có không, en: Yes or no}", "{vi: Không ai vi phạm, en: Nobody breaks the law}", 1)
	doc = strings.ReplaceAll(doc, ", en: ", ", eng: ")
	path := filepath.Join(t.TempDir(), "many.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	r := hoctap(t, nil, "", "criteria", "lint", path)
	for _, want := range []string{
		`many.yaml: line 5: unknown field "colour"`,
		`many.yaml: line 6: unknown field "shape"`,
		`many.yaml: criteria[1].indicators[2] (line 71): unknown field "weight"`,
		"many.yaml: rules.pass_mark.normal: 180 is more than the set's max_points 100",
		"many.yaml: criteria[0].indicators[0].labels: warning: the statement is a negation",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("lint does not say %q:\n%s", want, r.stdout)
		}
	}
	if r.code != 1 {
		t.Errorf("exit %d", r.code)
	}
	if n := strings.Count(r.stdout, `unknown field "eng"`); n != 1 || !strings.Contains(r.stdout, "many.yaml: … and ") {
		t.Errorf("a repeated problem is said %d times:\n%s", n, r.stdout)
	}
}

func TestCriteriaLint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	copyFile(t, "../../scoring/testdata/sample.yaml", good)
	bad := filepath.Join(dir, "bad.yaml")
	data, _ := os.ReadFile(good)
	doc := strings.Replace(string(data), "points: 7.5", "points: 22", 1)
	doc = strings.Replace(doc, "title: {vi: Mẫu, en: Sample}", "title: {vi: Mẫu}", 1)
	if err := os.WriteFile(bad, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}

	if r := hoctap(t, nil, "", "criteria", "lint"); r.code != 0 || r.stdout != "" {
		t.Errorf("lint of the shipped sets: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := hoctap(t, nil, "", "criteria", "lint", good); r.code != 0 || r.stdout != "" {
		t.Errorf("lint of a good file: exit %d, stdout %q", r.code, r.stdout)
	}
	r := hoctap(t, nil, "", "criteria", "lint", good, bad)
	want := "bad.yaml: title.en: the English text is missing\n" +
		"bad.yaml: criteria[0].indicators[1].options[1].points: 22 is more than the indicator's 20\n"
	if r.code != 1 || r.stdout != want {
		t.Errorf("lint of a bad file: exit %d, stdout:\n%s\nwant:\n%s", r.code, r.stdout, want)
	}
	// A bad set in CRITERIA_DIR is found when no file is named.
	r = hoctap(t, map[string]string{"CRITERIA_DIR": dir}, "", "criteria", "lint")
	if r.code != 1 || r.stdout != want {
		t.Errorf("lint of CRITERIA_DIR: exit %d, stdout:\n%s", r.code, r.stdout)
	}
	if r := hoctap(t, nil, "", "criteria", "lint", filepath.Join(dir, "missing.yaml")); r.code != 1 || !strings.Contains(r.stdout, "no such file") {
		t.Errorf("lint of a missing file: exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestCriteriaShowGolden(t *testing.T) {
	t.Parallel()
	for _, s := range shippedSets(t) {
		for _, lang := range []string{"vi", "en"} {
			t.Run(s.ID+"."+lang, func(t *testing.T) {
				r := hoctap(t, nil, "", "criteria", "show", s.ID, "--lang", lang)
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				if strings.Contains(r.stdout, "[") && strings.Contains(r.stdout, "]\n") {
					t.Errorf("a message id shows instead of a text:\n%s", r.stdout)
				}
				golden(t, "show/"+s.ID+"."+lang+".golden", r.stdout)
			})
		}
	}
}

func TestCriteriaShowDraftSaysSo(t *testing.T) {
	t.Parallel()
	vi := hoctap(t, nil, "", "criteria", "show", "family-2015")
	en := hoctap(t, nil, "", "criteria", "show", "--lang=en", "family-2015")
	if !strings.HasPrefix(vi.stdout, "Gia đình học tập (dự thảo)\n") || !strings.HasPrefix(en.stdout, "Learning Family (draft)\n") {
		t.Errorf("titles: %q / %q", firstLine(vi.stdout), firstLine(en.stdout))
	}
}

func firstLine(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }

func TestCriteriaShowJSON(t *testing.T) {
	t.Parallel()
	r := hoctap(t, nil, "", "criteria", "show", "--json", "../../scoring/testdata/sample.yaml")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden(t, "show/sample.json.golden", r.stdout)

	// The shape is a promise to other programs: exactly these keys.
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	wantKeys := func(what string, m map[string]any, keys ...string) {
		t.Helper()
		var got []string
		for k := range m {
			got = append(got, k)
		}
		if !sameSet(got, keys) {
			t.Errorf("%s keys %v, want %v", what, got, keys)
		}
	}
	wantKeys("set", doc, "id", "version", "kind", "title", "status", "max_points", "conditions", "criteria")
	wantKeys("condition", doc["conditions"].([]any)[0].(map[string]any), "code")
	crit := doc["criteria"].([]any)[1].(map[string]any)
	wantKeys("criterion", crit, "code", "max_points", "indicators")
	for _, ind := range crit["indicators"].([]any) {
		wantKeys("indicator", ind.(map[string]any), "code", "kind", "max_points", "not_applicable", "options", "bands")
	}
	band := crit["indicators"].([]any)[0].(map[string]any)["bands"].([]any)[2].(map[string]any)
	wantKeys("band", band, "min", "max", "points")
	if band["max"] != nil {
		t.Errorf("an open band's max is %v, want null", band["max"])
	}
	opt := doc["criteria"].([]any)[0].(map[string]any)["indicators"].([]any)[1].(map[string]any)["options"].([]any)[0]
	wantKeys("option", opt.(map[string]any), "code", "points")
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestCriteriaScore(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	answers := filepath.Join(dir, "answers.json")
	if err := os.WriteFile(answers, []byte(`{"1.1": true, "1.2": true, "1.3": true, "2.1": true, "2.2": false,
		"2.3": "some", "3.1": true, "3.2": "radio_tv", "3.3": true, "4.1": true, "4.2": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	want := resultJSON{
		Total: 75, Max: 100, Passed: false,
		Criteria: []pointsJSON{{"1", 30}, {"2", 15}, {"3", 17}, {"4", 13}},
		Indicators: []pointsJSON{{"1.1", 10}, {"1.2", 10}, {"1.3", 10}, {"2.1", 10}, {"2.2", 0}, {"2.3", 5},
			{"3.1", 8}, {"3.2", 3}, {"3.3", 6}, {"4.1", 6}, {"4.2", 7}, {"4.3", 0}},
		Failures:   []string{"total 75 is below the pass mark 80"},
		Unanswered: []string{"4.3"},
		Skipped:    []string{},
	}
	check := func(name string, r result) {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", name, r.code, r.stderr)
		}
		var got resultJSON
		dec := json.NewDecoder(strings.NewReader(r.stdout))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got); err != nil {
			t.Fatalf("%s: %v in %s", name, err, r.stdout)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v\nwant %+v", name, got, want)
		}
	}
	check("args then flags", hoctap(t, nil, "", "criteria", "score", "family-2015", answers, "--region", "normal"))
	check("flags first", hoctap(t, nil, "", "criteria", "score", "--region=normal", "family-2015@1", answers))
	data, _ := os.ReadFile(answers)
	check("stdin", hoctap(t, nil, string(data), "criteria", "score", "family-2015", "-"))

	out := filepath.Join(dir, "result.json")
	r := hoctap(t, nil, "", "criteria", "score", "family-2015", answers, "-o", out)
	written, err := os.ReadFile(out)
	if r.code != 0 || r.stdout != "" || err != nil {
		t.Fatalf("-o: exit %d, stdout %q, %v", r.code, r.stdout, err)
	}
	check("-o file", result{stdout: string(written)})

	// Version 2 asks 1.2 only as 1.1 decides: "not applicable" on 1.2
	// after "yes" on 1.1 would take its points for nothing.
	free := hoctap(t, nil, `{"1.1": true, "1.2": "na"}`, "criteria", "score", "family-2015", "-")
	if free.code != 1 || !strings.Contains(free.stderr, "1.2: not applicable is not allowed here") {
		t.Errorf("1.2 na on family-2015@2: exit %d, %s", free.code, free.stderr)
	}
}

func TestCriteriaScoreHardshipAndEmptyLists(t *testing.T) {
	t.Parallel()
	// The citizen set passes at 70 in hardship areas; every indicator is at
	// least 5.
	answers := `{"1.1":"fair","1.2":"fair","1.3":"fair","1.4":"fair","2.1":"fair","2.2":"pass","2.3":"pass","2.4":"fair","3.1":"fair","3.2":"fair"}`
	normal := hoctap(t, nil, answers, "criteria", "score", "citizen-2022", "-")
	hardship := hoctap(t, nil, answers, "criteria", "score", "citizen-2022", "-", "--region", "hardship")
	if !strings.Contains(normal.stdout, `"passed": false`) || !strings.Contains(normal.stdout, `"total 74 is below the pass mark 80"`) {
		t.Errorf("normal:\n%s%s", normal.stdout, normal.stderr)
	}
	if !strings.Contains(hardship.stdout, `"passed": true`) || !strings.Contains(hardship.stdout, `"failures": [],`) ||
		!strings.Contains(hardship.stdout, `"unanswered": []`) {
		t.Errorf("hardship:\n%s%s", hardship.stdout, hardship.stderr)
	}
}

func TestCriteriaExitCodes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"1.1": true}`), 0o644)
	broken := filepath.Join(dir, "broken.json")
	os.WriteFile(broken, []byte(`{"1.1": tru`), 0o644)
	misfit := filepath.Join(dir, "misfit.json")
	os.WriteFile(misfit, []byte(`{"1.1": "maybe", "9.9": true}`), 0o644)

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"a failing score is a result", []string{"criteria", "score", "family-2015", good}, 0, ""},
		{"unknown set", []string{"criteria", "score", "nothing", good}, 1, `unknown criteria set "nothing"`},
		{"unknown set file", []string{"criteria", "show", "nothing.yaml"}, 1, "no such file"},
		{"unreadable answers", []string{"criteria", "score", "family-2015", broken}, 1, "read answers: answers are not a JSON object"},
		{"missing answers file", []string{"criteria", "score", "family-2015", filepath.Join(dir, "none.json")}, 1, "read answers"},
		{"answers that do not fit", []string{"criteria", "score", "family-2015", misfit}, 1,
			"1.1: wrong kind of answer: expected true or false\n9.9: no indicator or condition has this code"},
		{"bad region", []string{"criteria", "score", "family-2015", good, "--region", "remote"}, 2, `--region is normal or hardship, not "remote"`},
		{"missing answers", []string{"criteria", "score", "family-2015"}, 2, "score takes a set and an answers file"},
		{"unknown flag", []string{"criteria", "show", "family-2015", "--colour"}, 2, "unknown flag: --colour"},
		{"bad language", []string{"criteria", "show", "family-2015", "--lang", "fr"}, 2, `--lang is vi or en, not "fr"`},
		{"unknown criteria command", []string{"criteria", "frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"help", []string{"criteria", "score", "--help"}, 0, ""},
		{"list takes no arguments", []string{"criteria", "list", "x"}, 2, "list takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := hoctap(t, nil, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tt.code, tt.stderr)
			}
		})
	}
}

func TestJSONLogs(t *testing.T) {
	t.Parallel()
	r := hoctap(t, map[string]string{"LOG_FORMAT": "json"}, "", "criteria", "lint")
	var line map[string]any
	if err := json.Unmarshal([]byte(firstLine(r.stderr)), &line); err != nil || line["msg"] != "criteria sets are valid" {
		t.Errorf("stderr is not a JSON log line: %q (%v)", r.stderr, err)
	}
}

func TestCriteriaExcelRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, s := range shippedSets(t) {
		book := filepath.Join(dir, s.Ref()+".xlsx")
		yml := filepath.Join(dir, s.Ref()+".yaml")
		if r := hoctap(t, nil, "", "criteria", "export", s.Ref(), "-o", book); r.code != 0 {
			t.Fatalf("export %s: exit %d: %s", s.ID, r.code, r.stderr)
		}
		if r := hoctap(t, nil, "", "criteria", "import", "-o", yml, book); r.code != 0 {
			t.Fatalf("import %s: exit %d: %s", s.ID, r.code, r.stderr)
		}
		back, err := scoring.LoadFile(yml)
		if err != nil {
			t.Fatalf("imported %s does not load: %v", s.ID, err)
		}
		if !reflect.DeepEqual(back, s) {
			t.Errorf("%s: export then import gives a different set", s.Ref())
		}
		// The workbook itself is a set reference too.
		if r := hoctap(t, nil, "", "criteria", "lint", book); r.code != 0 || r.stdout != "" {
			t.Errorf("lint %s: exit %d, %s", book, r.code, r.stdout)
		}
	}
}

func TestCriteriaImportProblems(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.xlsx")
	if err := os.WriteFile(bad, []byte("not a workbook"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.yaml")
	r := hoctap(t, nil, "", "criteria", "import", bad, "-o", out)
	if r.code != 1 || !strings.HasPrefix(r.stderr, "bad.xlsx: ") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed import wrote %s", out)
	}
}

// TestCriteriaExportRefusesTerminal: a workbook written to a terminal
// would garble it; to a file or /dev/null it is written.
func TestCriteriaExportRefusesTerminal(t *testing.T) {
	t.Parallel()
	tty := openPTY(t)
	var errOut bytes.Buffer
	code := run([]string{"criteria", "export", "family-2015"}, &env{
		stdin: strings.NewReader(""), stdout: tty, stderr: &errOut, lookup: func(string) (string, bool) { return "", false },
	})
	if code != 2 || !strings.Contains(errOut.String(), "a workbook is not for a terminal: give -o FILE.xlsx") {
		t.Errorf("export to a terminal: exit %d, %s", code, errOut.String())
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if code := run([]string{"criteria", "export", "family-2015"}, &env{
		stdin: strings.NewReader(""), stdout: null, stderr: &errOut, lookup: func(string) (string, bool) { return "", false },
	}); code != 0 {
		t.Errorf("export to /dev/null: exit %d, %s", code, errOut.String())
	}
}

// openPTY opens the terminal end of a new pseudo-terminal.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open a pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("name the pseudo-terminal: %v", err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the terminal end: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return tty
}
