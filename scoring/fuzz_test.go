package scoring

import (
	"os"
	"testing"
)

// FuzzParse shows the loader never panics on malformed YAML, and that what
// it accepts is valid and scores.
func FuzzParse(f *testing.F) {
	files, err := ShippedFiles()
	if err != nil {
		f.Fatal(err)
	}
	for _, data := range files {
		f.Add(data)
	}
	sample, err := os.ReadFile("testdata/sample.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample)
	f.Add([]byte("id: [unclosed"))
	f.Add([]byte("criteria: {a: &x [*x]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		if ps := Validate("fuzz.yaml", s); len(ps) > 0 {
			t.Fatalf("Parse accepted a set that does not validate: %v", ps)
		}
		if _, err := Score(s, Answers{}, RegionNormal); err != nil {
			t.Fatalf("an accepted set does not score: %v", err)
		}
	})
}
