package locales

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"hoctap/scoring"
)

// messages reads a message file into id → text, plural forms as id#form.
func messages(t *testing.T, lang string) map[string]string {
	t.Helper()
	data, err := files.ReadFile(lang + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for id, v := range raw {
		switch v := v.(type) {
		case string:
			out[id] = v
		case map[string]any:
			for form, text := range v {
				out[id+"#"+form], _ = text.(string)
			}
		default:
			t.Errorf("%s.yaml: %s is neither a text nor plural forms", lang, id)
		}
	}
	return out
}

var placeholder = regexp.MustCompile(`{{\s*\.(\w+)\s*}}`)

func placeholders(s string) string {
	var names []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		names = append(names, m[1])
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

func ids(m map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		id, _, _ := strings.Cut(k, "#")
		out[id] = true
	}
	return out
}

func TestEveryMessageInBothLanguages(t *testing.T) {
	vi, en := messages(t, "vi"), messages(t, "en")
	viIDs, enIDs := ids(vi), ids(en)
	for id := range viIDs {
		if !enIDs[id] {
			t.Errorf("%s is in vi.yaml but not in en.yaml", id)
		}
	}
	for id := range enIDs {
		if !viIDs[id] {
			t.Errorf("%s is in en.yaml but not in vi.yaml (Vietnamese is the source)", id)
		}
	}
	for key, text := range vi {
		id, _, _ := strings.Cut(key, "#")
		other := en[id+"#other"]
		if o, ok := en[key]; ok {
			other = o
		} else if o, ok := en[id]; ok {
			other = o
		}
		if placeholders(text) != placeholders(other) {
			t.Errorf("%s: vi uses {%s}, en uses {%s}", key, placeholders(text), placeholders(other))
		}
		if strings.TrimSpace(text) == "" {
			t.Errorf("%s is empty in vi.yaml", key)
		}
		// A "Count" picks the plural form, so only plural messages use it.
		if strings.Contains(text, ".Count") && !strings.Contains(key, "#") {
			t.Errorf("%s uses {{.Count}} but has no plural forms", key)
		}
	}
}

// TestEveryUsedMessageExists reads the project's Go files for message ids
// given to T and checks each exists; ids built from a prefix are checked
// for every value the prefix is built with.
func TestEveryUsedMessageExists(t *testing.T) {
	known := ids(messages(t, "vi"))
	literal := regexp.MustCompile(`\.[tT]\("([a-z0-9_.]+)"[,)]`)
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range literal.FindAllStringSubmatch(string(data), -1) {
			if !known[m[1]] {
				t.Errorf("%s uses message %q, which is not in the locales", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	var built []string
	for _, k := range []scoring.AnswerKind{scoring.AnswerYesNo, scoring.AnswerChoice, scoring.AnswerNumber, scoring.AnswerRatio, scoring.AnswerReviewer} {
		built = append(built, "show.answer."+string(k))
	}
	for _, s := range []scoring.Status{scoring.StatusVerified, scoring.StatusDraft, scoring.StatusWithdrawn} {
		built = append(built, "status."+string(s))
	}
	for _, c := range []scoring.Certainty{scoring.PartlyConfirmed, scoring.NotConfirmed} {
		built = append(built, "certainty."+string(c))
	}
	for _, p := range []scoring.NAPolicy{scoring.NAFullPoints, scoring.NARescale} {
		built = append(built, "show.na."+string(p))
	}
	for _, k := range scoring.Kinds {
		built = append(built, "kind."+string(k), "enrol.name."+string(k), "relocate.subject."+string(k))
	}
	for _, level := range []string{"province", "commune", "village"} {
		built = append(built, "enrol.area."+level, "relocate.ask."+level)
	}
	built = append(built, "relocate.ask.other")
	for _, r := range []scoring.Rule{scoring.RuleTotal, scoring.RuleCriterion, scoring.RuleIndicator, scoring.RuleCondition} {
		built = append(built, "failure."+string(r))
	}
	built = append(built, "walk.evidence.required", "walk.evidence.optional")
	for _, chain := range []string{"accept", "confirm"} { // flows.ChainAccept, flows.ChainConfirm
		built = append(built, "settings.chain."+chain)
	}
	for _, id := range built {
		if !known[id] {
			t.Errorf("message %q is built in code but not in the locales", id)
		}
	}
}

func TestPrinter(t *testing.T) {
	vi, en := For("vi"), For("en-US")
	if en.Lang() != "en" || For("fr").Lang() != "vi" || For("").Lang() != "vi" {
		t.Errorf("language matching: en-US→%s fr→%s", en.Lang(), For("fr").Lang())
	}
	for _, tt := range []struct{ got, want string }{
		{vi.Points(2.5), "2,5 điểm"},
		{vi.Points(1), "1 điểm"},
		{en.Points(1), "1 point"},
		{en.Points(2.5), "2.5 points"},
		{en.Points(0), "0 points"},
		{en.T("no.such.message"), "[no.such.message]"},
		{vi.Count(1234567), "1.234.567"},
		{en.Count(1234567), "1,234,567"},
		{vi.Count(999), "999"},
		{vi.Count(-1000), "-1.000"},
		{en.Count(0), "0"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestOnlyTheResultSaysSubmitted keeps a promise to people and to tests:
// the one message after Submit starts with "✅ Đã nộp" / "✅ Submitted",
// and no other text of ours says so.
func TestOnlyTheResultSaysSubmitted(t *testing.T) {
	for lang, word := range map[string]string{"vi": "đã nộp", "en": "submitted"} {
		for key, text := range messages(t, lang) {
			if key == "result.submitted" {
				continue
			}
			if strings.Contains(strings.ToLower(text), word) {
				t.Errorf("%s.yaml: %s says %q: %s", lang, key, word, text)
			}
		}
	}
	if got := For("vi").T("result.submitted"); got != "✅ Đã nộp" {
		t.Errorf("vi result: %q", got)
	}
	if got := For("en").T("result.submitted"); got != "✅ Submitted" {
		t.Errorf("en result: %q", got)
	}
}
