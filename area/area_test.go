package area

import (
	"slices"
	"testing"

	"hoctap/flows"
	"hoctap/scoring"
)

func TestEnglishName(t *testing.T) {
	for vi, en := range map[string]string{
		"Thành phố Hà Nội": "Hà Nội", "Tỉnh Tuyên Quang": "Tuyên Quang", "Xã Sóc Sơn": "Sóc Sơn commune",
		"Phường Hoàn Kiếm": "Hoàn Kiếm ward", "Đặc khu Phú Quốc": "Phú Quốc special zone", "Thôn Đông": "Đông village",
		"Tổ dân phố số 1": "Residential group 1", "Tổ dân phố Hạ": "Residential group Hạ", "Việt Nam": "Viet Nam",
		"Xóm Chùa": "Chùa hamlet", "Khu tập thể Kim Liên": "Khu tập thể Kim Liên", "Xã": "Xã",
	} {
		if got := EnglishName(vi); got != en {
			t.Errorf("EnglishName(%q) = %q, want %q", vi, got, en)
		}
	}
}

func TestShippedTreeNamesAndSample(t *testing.T) {
	rows, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		// Every official name starts with its kind, so every one has an
		// English name of its own.
		if r.Level != "nation" && EnglishName(r.Name) == r.Name {
			t.Errorf("line %d: no English name for %q", r.Line, r.Name)
		}
	}
	sample := Sample()
	byCode := map[string]flows.Area{}
	for _, a := range sample {
		if a.Parent != "" {
			if _, ok := byCode[a.Parent]; !ok {
				t.Errorf("%s comes before its parent %s", a.Code, a.Parent)
			}
		}
		byCode[a.Code] = a
	}
	if got := byCode[SampleCommune]; got.Name.VI != "Xã Sóc Sơn" || got.Parent != "01" || got.Name.EN != "Sóc Sơn commune" {
		t.Errorf("the sample commune is %+v", got)
	}
	if got := byCode[SampleHardshipCommune+".01"]; got.Region != scoring.RegionHardship || byCode[SampleHardshipCommune].Name.VI != "Xã Lâm Bình" {
		t.Errorf("the hardship village is %+v", got)
	}
}

func TestFoldAndMatch(t *testing.T) {
	if got := Fold("  Thành phố  HÀ NỘI "); got != "thanh pho ha noi" {
		t.Errorf("Fold = %q", got)
	}
	if got := Fold("Đặc khu Côn Đảo"); got != "dac khu con dao" {
		t.Errorf("Fold = %q", got)
	}
	// A name written decomposed (NFD), as some keyboards send it, folds alike.
	if Fold("Thôn Đông") != Fold("Tho\u0302n \u0110o\u0302ng") {
		t.Error("NFD and NFC fold apart")
	}
	for _, c := range []struct {
		query, name string
		ok, exact   bool
	}{
		{"ha noi", "Thành phố Hà Nội", true, true},
		{"noi ha", "Thành phố Hà Nội", true, true},
		{"thon 3", "Thôn 3", true, true},
		{"thon 3", "Thôn 30", true, false},
		{"thon 3", "Thôn 13", false, false},
		{"son", "Xã Sóc Sơn", true, true},
		{"on", "Xã Sóc Sơn", false, false},
		{"hà nội", "Thành phố Hà Nội", true, true},
	} {
		if ok, exact := Match(c.query, c.name); ok != c.ok || exact != c.exact {
			t.Errorf("Match(%q, %q) = %v, %v; want %v, %v", c.query, c.name, ok, exact, c.ok, c.exact)
		}
	}
}

func TestRank(t *testing.T) {
	found := func(code, level, name string) flows.FoundArea {
		return flows.FoundArea{Area: flows.Area{Code: code, Level: level, Name: scoring.Text{VI: name}}}
	}
	got := Rank("thon 3", []flows.FoundArea{
		found("a", "village", "Thôn 30"), found("b", "village", "Thôn 3"), found("c", "village", "Thôn 13"),
		found("d", "commune", "Xã Thôn 3"), found("e", "village", "Thôn 31"),
	}, 3)
	var codes []string
	for _, f := range got {
		codes = append(codes, f.Code)
	}
	// Whole words first, the commune above the village, then by name; at
	// most three.
	if !slices.Equal(codes, []string{"d", "b", "a"}) {
		t.Errorf("ranked %v", codes)
	}
}

func TestSortByName(t *testing.T) {
	areas := []flows.Area{
		{Code: "4", Name: scoring.Text{VI: "Xã Đông Anh"}}, {Code: "3", Name: scoring.Text{VI: "Xã Dương Hòa"}},
		{Code: "2", Name: scoring.Text{VI: "Thành phố Hải Phòng"}}, {Code: "1", Name: scoring.Text{VI: "Thành phố Hà Nội"}},
		{Code: "0", Name: scoring.Text{VI: "Xã Ea Kar"}},
	}
	SortByName(areas)
	var got []string
	for _, a := range areas {
		got = append(got, a.Code)
	}
	// Hà before Hải; D, then Đ, then E.
	if !slices.Equal(got, []string{"1", "2", "3", "4", "0"}) {
		t.Errorf("sorted %v", got)
	}
}
