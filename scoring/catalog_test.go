package scoring

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeSet writes the sample set into dir under name with its id, version
// and status changed.
func writeSet(t *testing.T, dir, name, id string, version int, status Status, replacedBy string) {
	t.Helper()
	data, err := os.ReadFile("testdata/sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Replace(string(data), "id: sample\nversion: 2\n", "id: "+id+"\nversion: "+itoa(version)+"\n", 1)
	doc = strings.Replace(doc, "status: verified\n", "status: "+string(status)+"\n", 1)
	if replacedBy != "" {
		doc = strings.Replace(doc, "title:", "replaced_by: "+replacedBy+"\ntitle:", 1)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return FormatNumber(float64(n)) }

func TestShippedSetsAreValid(t *testing.T) {
	cat, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Lookup("family-2015"); err != nil {
		t.Error(err)
	}
	for _, s := range cat.Sets() {
		for _, w := range Warnings(s.Ref(), s) {
			t.Error(w) // a negative statement with plain Có/Không labels
		}
		if s.Status == StatusVerified {
			// Only what the domain brief confirms may be verified, and it
			// confirms no set whole.
			t.Errorf("%s is verified; the shipped sets are drafts", s.Ref())
		}
	}
}

func TestCatalogLookup(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, "p1.yaml", "province-set", 1, StatusWithdrawn, "province-set@2")
	writeSet(t, dir, "p2.yml", "province-set", 2, StatusDraft, "")
	writeSet(t, dir, "p3.yaml", "province-set", 3, StatusWithdrawn, "province-set@2")
	if err := os.WriteFile(filepath.Join(dir, "readme.txt"), []byte("not a set"), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := LoadCatalog(dir)
	if err != nil {
		t.Fatal(err)
	}

	for ref, want := range map[string]string{
		"province-set":   "province-set@2", // the newest not withdrawn
		"province-set@1": "province-set@1",
		"province-set@3": "province-set@3",
		"family-2015":    "family-2015@2", // @1 is withdrawn
	} {
		s, err := cat.Lookup(ref)
		if err != nil || s.Ref() != want {
			t.Errorf("Lookup(%q) = %s, %v; want %s", ref, s.Ref(), err, want)
		}
	}
	for _, ref := range []string{"nothing", "province-set@9", "province-set@two"} {
		if _, err := cat.Lookup(ref); !errors.Is(err, ErrUnknownSet) {
			t.Errorf("Lookup(%q) error %v, want ErrUnknownSet", ref, err)
		}
	}

	old, _ := cat.Get("province-set", 1)
	if r, err := cat.Replacement(old); err != nil || r.Ref() != "province-set@2" {
		t.Errorf("replacement of @1 = %v, %v", r, err)
	}
}

func TestCatalogReportsBadAndDuplicateFiles(t *testing.T) {
	dir := t.TempDir()
	writeSet(t, dir, "a.yaml", "family-2015", 1, StatusDraft, "")
	writeSet(t, dir, "b.yaml", "good", 1, StatusDraft, "")
	if err := os.WriteFile(filepath.Join(dir, "c.yaml"), []byte("id: broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := LoadCatalog(dir)
	if err == nil {
		t.Fatal("no error for a duplicate and a broken set")
	}
	msg := err.Error()
	for _, want := range []string{
		"a.yaml: version: family-2015@1 is already defined (Gia đình học tập)",
		"c.yaml: version: must be 1 or more",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if _, err := cat.Lookup("good"); err != nil {
		t.Errorf("a good set next to broken ones is still found: %v", err)
	}
}

func TestCatalogPick(t *testing.T) {
	dir := t.TempDir()
	// A province's own unit set for 2024 on, next to the shipped national one.
	writeSet(t, dir, "p.yaml", "unit-hanoi", 1, StatusDraft, "")
	writeSet(t, dir, "w.yaml", "unit-hanoi", 2, StatusWithdrawn, "unit-hanoi@1")
	cat, err := LoadCatalog(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind     Kind
		province string
		year     int
		want     string
	}{
		{KindUnit, "01", 2026, "unit-hanoi@1"},      // the province's own, not its withdrawn version
		{KindUnit, "08", 2026, "unit-2021@1"},       // another province gets the national set
		{KindUnit, "01", 2022, "unit-2021@1"},       // the province's set does not cover 2022
		{KindFamily, "01", 2026, "family-2015@2"},   // no set covers 2026: the newest is used
		{KindCitizen, "01", 2026, "citizen-2022@1"}, //
	}
	for _, tt := range tests {
		s, ok := cat.Pick(tt.kind, tt.province, tt.year)
		if !ok || s.Ref() != tt.want {
			t.Errorf("Pick(%s, %s, %d) = %v, want %s", tt.kind, tt.province, tt.year, s, tt.want)
		}
	}
}
