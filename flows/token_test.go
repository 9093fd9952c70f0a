package flows

import (
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	for _, tok := range []Token{
		{Module: "s", Verb: "a", ID: 42, Rev: 12, Code: "1.2", Value: "na"},
		{Module: "e", Verb: "ar", Code: "00376.01"},
		{Module: "e", Verb: "ok"},
		{Module: core, Verb: verbLanguage, Code: "en"},
		// The longest a criteria set allows (codes of 12, options of 16), on
		// an assessment id and revision far beyond any installation's.
		{Module: "s", Verb: "sb", ID: 1 << 42, Rev: 1 << 24, Code: "C1234567890.", Value: "abcdefghij_klmno"},
	} {
		s := tok.String()
		if len(s) > MaxToken {
			t.Errorf("%s is %d bytes, over Telegram's 64", s, len(s))
		}
		back, err := ParseToken(s)
		if err != nil || back != tok {
			t.Errorf("%s parsed back as %+v, %v", s, back, err)
		}
	}
	for _, bad := range []string{"", "s.a:1:2", "s.a:-1:1:x:y", "s.a:01:1:x:y", "S.a:1:1:x:y", "s.a:1:1:x y:z", "s.a:1:1:x:Y",
		"sa:1:1:x:y", "s.abc:1:1:x:y", "s.a:1:0:x:y", strings.Repeat("a", 65), "s.a:1:1:x:y:z", "s.a:1:99999999999:x:y"} {
		if _, err := ParseToken(bad); err == nil {
			t.Errorf("ParseToken(%q) accepted it", bad)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	for _, s := range []string{"s.a:12:3:1.2:na", "e.ok::::", "e.ar:::00376:", "c.lg::::en", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := ParseToken(s)
		if err != nil {
			return
		}
		if tok.String() != s || len(s) > MaxToken {
			t.Errorf("%q parsed as %+v, which writes %q", s, tok, tok.String())
		}
	})
}
