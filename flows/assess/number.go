package assess

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrNotANumber is returned for a text that is not a number.
var ErrNotANumber = errors.New("not a number")

// ParseNumber reads a number as people type it: "1.000" and "1 000" are a
// thousand, "2,5" is two and a half, "80%" and "80 %" are 80. In English
// "1,000" is a thousand and "2.5" two and a half; in Vietnamese a dot
// followed by groups of three digits separates thousands and a comma is the
// decimal mark. Whatever the language, a single dot or comma that is not
// followed by exactly three digits is a decimal mark. Words after the
// number and a space are its unit, and are dropped: "12 buổi", "12 người".
func ParseNumber(s, lang string) (float64, error) {
	s = dropUnit(strings.TrimSpace(s))
	s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u00a0' || r == '\u202f' {
			return -1
		}
		return r
	}, s)
	if s == "" || len(s) > 32 {
		return 0, ErrNotANumber
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")

	group, decimal := ".", ","
	if strings.HasPrefix(lang, "en") {
		group, decimal = ",", "."
	}
	switch {
	case strings.Contains(s, group) && strings.Contains(s, decimal):
		// Both marks: "1.234,5" (vi) or "1,234.5" (en).
		intPart, frac, _ := strings.Cut(s, decimal)
		if !thousands(intPart, group) {
			return 0, ErrNotANumber
		}
		s = strings.ReplaceAll(intPart, group, "") + "." + frac
	case strings.Contains(s, group) && thousands(s, group):
		s = strings.ReplaceAll(s, group, "")
	case strings.Count(s, ".")+strings.Count(s, ",") == 1:
		s = strings.Replace(s, ",", ".", 1)
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			return 0, ErrNotANumber
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, ErrNotANumber
	}
	if neg {
		v = -v
	}
	return v, nil
}

// dropUnit drops the words after a number: from the first space followed by
// a letter on, if only letters and spaces follow.
func dropUnit(s string) string {
	for i, r := range s {
		if !unicode.IsSpace(r) {
			continue
		}
		rest := strings.TrimLeftFunc(s[i:], unicode.IsSpace)
		first, _ := utf8.DecodeRuneInString(rest)
		if rest == "" || !unicode.IsLetter(first) {
			continue
		}
		if strings.IndexFunc(rest, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsSpace(r) && !unicode.Is(unicode.Mn, r)
		}) < 0 {
			return strings.TrimSpace(s[:i])
		}
		return s
	}
	return s
}

// thousands reports whether s is digits grouped by sep in threes: "1.000",
// "12.345.678".
func thousands(s, sep string) bool {
	parts := strings.Split(s, sep)
	if len(parts) < 2 || len(parts[0]) == 0 || len(parts[0]) > 3 {
		return false
	}
	for i, p := range parts {
		if (i > 0 && len(p) != 3) || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}
