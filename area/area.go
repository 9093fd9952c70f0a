// Package area holds the area tree a new installation starts with: the
// real tree of 1 July 2025 (the nation, its 34 provinces and 3,321
// communes, with the national statistics office's codes), and a few sample
// villages under three real communes for the playground and the tests. It
// also names areas in English and folds names for search.
package area

import (
	"bytes"
	"cmp"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"

	"hoctap/flows"
	"hoctap/scoring"
)

//go:embed vn-2025.csv
var shipped []byte

// Shipped returns the rows of the real tree of 1 July 2025, parents first.
var Shipped = sync.OnceValues(func() ([]Row, error) {
	rows, err := ReadCSV(bytes.NewReader(shipped))
	if err != nil {
		return nil, fmt.Errorf("the shipped area tree: %w", err)
	}
	return rows, nil
})

// The sample villages sit under these real communes; one of them, in the
// mountains of Tuyên Quang, stands for a hardship area.
const (
	SampleCommune         = "00376" // Xã Sóc Sơn, Hà Nội
	SampleWard            = "00070" // Phường Hoàn Kiếm, Hà Nội
	SampleHardshipCommune = "02266" // Xã Lâm Bình, Tuyên Quang
)

// SampleVillages are the playground's and the tests' villages. Their codes
// hold a dot, which no code of the statistics office does, so they cannot
// collide with a real village imported later. The Lâm Bình ones are marked
// as a hardship area (the real tree carries no regions).
var SampleVillages = []flows.Area{
	{Code: SampleCommune + ".01", Parent: SampleCommune, Level: "village", Name: scoring.Text{VI: "Thôn Đông", EN: "Đông village"}, Region: scoring.RegionNormal},
	{Code: SampleCommune + ".02", Parent: SampleCommune, Level: "village", Name: scoring.Text{VI: "Thôn Đoài", EN: "Đoài village"}, Region: scoring.RegionNormal},
	{Code: SampleWard + ".01", Parent: SampleWard, Level: "village", Name: scoring.Text{VI: "Tổ dân phố số 1", EN: "Residential group 1"}, Region: scoring.RegionNormal},
	{Code: SampleWard + ".02", Parent: SampleWard, Level: "village", Name: scoring.Text{VI: "Tổ dân phố số 2", EN: "Residential group 2"}, Region: scoring.RegionNormal},
	{Code: SampleHardshipCommune + ".01", Parent: SampleHardshipCommune, Level: "village", Name: scoring.Text{VI: "Thôn Nà Khà", EN: "Nà Khà village"}, Region: scoring.RegionHardship},
	{Code: SampleHardshipCommune + ".02", Parent: SampleHardshipCommune, Level: "village", Name: scoring.Text{VI: "Thôn Bản Bó", EN: "Bản Bó village"}, Region: scoring.RegionHardship},
}

// Sample returns a small slice of the real tree for tests that need no
// more: the nation, Hà Nội and Tuyên Quang, the three sample communes and
// the sample villages, parents first.
func Sample() []flows.Area {
	rows, err := Shipped()
	if err != nil {
		panic(err) // the shipped file is read by this package's tests
	}
	keep := map[string]bool{"VN": true, "01": true, "08": true, SampleCommune: true, SampleWard: true, SampleHardshipCommune: true}
	var out []flows.Area
	for _, r := range rows {
		if keep[r.Code] {
			out = append(out, r.Area())
		}
	}
	return append(out, SampleVillages...)
}

// prefixes are the words an official name starts with, by level, and how
// the English name puts them; "%s" is the rest of the name.
var prefixes = []struct{ vi, en string }{
	{"Thành phố ", "%s"},
	{"Tỉnh ", "%s"},
	{"Xã ", "%s commune"},
	{"Phường ", "%s ward"},
	{"Đặc khu ", "%s special zone"},
	{"Thị trấn ", "%s township"},
	{"Thôn ", "%s village"},
	{"Bản ", "%s village"},
	{"Làng ", "%s village"},
	{"Ấp ", "%s hamlet"},
	{"Buôn ", "%s hamlet"},
	{"Xóm ", "%s hamlet"},
	{"Khu phố ", "Quarter %s"},
	{"Tổ dân phố số ", "Residential group %s"},
	{"Tổ dân phố ", "Residential group %s"},
}

// EnglishName names an area in English from its official Vietnamese name:
// "Xã Sóc Sơn" is "Sóc Sơn commune", "Thành phố Hà Nội" is "Hà Nội"; a
// name with no known prefix stays as it is.
func EnglishName(vi string) string {
	if vi == "Việt Nam" {
		return "Viet Nam"
	}
	for _, p := range prefixes {
		if len(vi) > len(p.vi) && strings.EqualFold(vi[:len(p.vi)], p.vi) {
			return fmt.Sprintf(p.en, vi[len(p.vi):])
		}
	}
	return vi
}

// Fold makes a name comparable the way people type it: lower case,
// without accents (đ as d), single spaces. "Thôn 3" and "thon  3" fold
// alike.
func Fold(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// collators keep Vietnamese collators, which are costly to make and not
// safe for concurrent use.
var collators = sync.Pool{New: func() any { return collate.New(language.Vietnamese) }}

// SortKey is a name's key in Vietnamese alphabetical order (Đ after D,
// "Hà" before "Hải"): names compare as their keys do, byte by byte.
func SortKey(name string) []byte {
	c := collators.Get().(*collate.Collator)
	defer collators.Put(c)
	var buf collate.Buffer
	return bytes.Clone(c.KeyFromString(&buf, name))
}

// SortByName orders areas by SortKey of their names, then by code.
func SortByName(areas []flows.Area) {
	keys := make(map[string][]byte, len(areas))
	for _, a := range areas {
		keys[a.Code] = SortKey(a.Name.VI)
	}
	slices.SortStableFunc(areas, func(a, b flows.Area) int {
		if n := bytes.Compare(keys[a.Code], keys[b.Code]); n != 0 {
			return n
		}
		return strings.Compare(a.Code, b.Code)
	})
}

// Match reports whether a typed query finds an area's name: every word of
// the folded query begins a word of the folded name, in any order ("ha
// noi" finds "Thành phố Hà Nội", "thon 3" finds "Thôn 3" and "Thôn 30").
// exact is set when every word of the query is a whole word of the name,
// so that "Thôn 3" comes before "Thôn 30".
func Match(query, name string) (ok, exact bool) {
	words := strings.Fields(Fold(name))
	exact = true
	for _, q := range strings.Fields(Fold(query)) {
		found, whole := false, false
		for _, w := range words {
			if strings.HasPrefix(w, q) {
				found = true
				whole = whole || w == q
			}
		}
		if !found {
			return false, false
		}
		exact = exact && whole
	}
	return true, exact
}

// Rank keeps the areas whose names a query finds (Match) and orders them
// for a person choosing one: whole-word matches first, then the higher
// levels, then by name; at most limit.
func Rank(query string, found []flows.FoundArea, limit int) []flows.FoundArea {
	type ranked struct {
		flows.FoundArea
		exact bool
	}
	vi := collators.Get().(*collate.Collator)
	defer collators.Put(vi)
	var keep []ranked
	for _, f := range found {
		if ok, exact := Match(query, f.Name.VI); ok {
			keep = append(keep, ranked{f, exact})
		}
	}
	slices.SortStableFunc(keep, func(a, b ranked) int {
		switch {
		case a.exact != b.exact && a.exact:
			return -1
		case a.exact != b.exact:
			return 1
		}
		if c := cmp.Compare(slices.Index(Levels, a.Level), slices.Index(Levels, b.Level)); c != 0 {
			return c
		}
		if c := vi.CompareString(a.Name.VI, b.Name.VI); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	out := make([]flows.FoundArea, 0, min(limit, len(keep)))
	for _, k := range keep[:min(limit, len(keep))] {
		out = append(out, k.FoundArea)
	}
	return out
}
