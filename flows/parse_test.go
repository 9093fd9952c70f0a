package flows

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

func TestTokens(t *testing.T) {
	for _, tok := range []Token{
		{Verb: verbAnswer, Rev: 12, Code: "1.2", Value: "na"},
		{Verb: verbArea, Code: "01.001.01"},
		{Verb: verbConsent},
		{Verb: verbAnswer, Rev: 999999999, Code: "C1234567890.1", Value: "abcdefghij_klmno"},
	} {
		s := tok.String()
		if len(s) > 64 {
			t.Errorf("%s is %d bytes, over Telegram's 64", s, len(s))
		}
		back, err := ParseToken(s)
		if err != nil || back != tok {
			t.Errorf("%s parsed back as %+v, %v", s, back, err)
		}
	}
	for _, bad := range []string{"", "a:1:2", "a:-1:x:y", "a:01:x:y", "A:1:x:y", "a:1:x y:z", "a:1:x:Y", strings.Repeat("a", 65), "a:1:x:y:z"} {
		if _, err := ParseToken(bad); err == nil {
			t.Errorf("ParseToken(%q) accepted it", bad)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	for _, s := range []string{"a:12:1.2:na", "ok:0::", "ar:0:01.001:", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if err != nil {
			return
		}
		if tok.String() != s || len(s) > 64 {
			t.Errorf("%q parsed as %+v, which writes %q", s, tok, tok.String())
		}
	})
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
