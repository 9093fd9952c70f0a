package assess

import (
	"strings"
	"testing"
)

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in, lang string
		want     float64
		ok       bool
	}{
		{"12", "vi", 12, true},
		{"1.000", "vi", 1000, true},
		{"1.000.000", "vi", 1000000, true},
		{"1 000", "vi", 1000, true},
		{"2,5", "vi", 2.5, true},
		{"1.234,5", "vi", 1234.5, true},
		{"80%", "vi", 80, true},
		{"80 %", "vi", 80, true},
		{" 85,5 % ", "vi", 85.5, true},
		{"1.5", "vi", 1.5, true},
		{"1,000", "en", 1000, true},
		{"1,234.5", "en", 1234.5, true},
		{"2.5", "en", 2.5, true},
		{"2,5", "en", 2.5, true},
		{"-3", "vi", -3, true},
		{"", "vi", 0, false},
		{"mười", "vi", 0, false},
		{"1.2.3", "vi", 0, false},
		{"12abc", "vi", 0, false},
		{"12 buổi", "vi", 12, true},
		{"12 người", "vi", 12, true},
		{"1.000 đồng", "vi", 1000, true},
		{"12 sessions", "en", 12, true},
		{"85 %", "vi", 85, true},
		{"12 buổi 3", "vi", 0, false},
		{"buổi 12", "vi", 0, false},
		{"12 - 3", "vi", 0, false},
		{"1e9", "vi", 0, false},
		{"NaN", "en", 0, false},
		{strings.Repeat("9", 4096), "vi", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseNumber(tt.in, tt.lang)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseNumber(%.20q, %s) = %v, %v; want %v, ok %v", tt.in, tt.lang, got, err, tt.want, tt.ok)
		}
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"1.000", "80 %", "2,5", "1,234.5", "-3", "abc"} {
		f.Add(s, "vi")
		f.Add(s, "en")
	}
	f.Fuzz(func(t *testing.T, s, lang string) {
		v, err := ParseNumber(s, lang)
		if err == nil && (v != v || v > 1e33 || v < -1e33) {
			t.Errorf("ParseNumber(%q) = %v", s, v)
		}
	})
}
