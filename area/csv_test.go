package area

import (
	"os"
	"strings"
	"testing"
)

func TestReadCSVShippedTree(t *testing.T) {
	f, err := os.Open("vn-2025.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := ReadCSV(f)
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string]int{}
	for _, r := range rows {
		levels[r.Level]++
	}
	if len(rows) != 3356 || levels["nation"] != 1 || levels["province"] != 34 || levels["commune"] != 3321 || rows[0].Code != "VN" {
		t.Errorf("%d rows, levels %v, first %q", len(rows), levels, rows[0].Code)
	}
}

func TestReadCSVParentsFirstAndProblems(t *testing.T) {
	rows, err := ReadCSV(strings.NewReader("\ufeffcode,name,level,parent_code,valid_from,valid_to\n" +
		"T1.1,Xã Một,commune,T1,2025-07-01,\n" +
		"T1,Tỉnh Thử,province,,2025-07-01,\n"))
	if err != nil || len(rows) != 2 || rows[0].Code != "T1" || rows[1].Parent != "T1" || rows[1].Line != 2 {
		t.Fatalf("rows %+v, %v", rows, err)
	}
	_, err = ReadCSV(strings.NewReader("code,name,level,parent_code,valid_from,valid_to,replaced_by\n" +
		"T1,Tỉnh Thử,province,,2025-07-01,,\n" +
		"T1,Tỉnh Khác,town,,1 July,,\n" +
		"T2,,commune,T3,2025-07-01,2025-01-01,T2\n" +
		"T3,Xã Ba,commune,T1,2025-07-01,,\n" +
		"T4,Tỉnh Bốn,province,T3,2025-07-01,,T1\n"))
	want := []string{
		`line 3, code: "T1" is already on line 2`,
		`line 3, level: "town" is not one of nation, province, commune, village`,
		`line 3, valid_from: "1 July" is not a date (YYYY-MM-DD)`,
		`line 4, name: empty`,
		`line 4, valid_to: 2025-01-01 is before valid_from 2025-07-01`,
		`line 4, replaced_by: only an area that ended (valid_to) is replaced`,
		`line 6, replaced_by: only an area that ended (valid_to) is replaced`,
		`line 4, parent_code: T3 is a commune, not above a commune`,
		`line 4, replaced_by: an area is not replaced by itself`,
		`line 6, parent_code: T3 is a commune, not above a province`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("problems:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	if _, err := ReadCSV(strings.NewReader("code;name\n")); err == nil || !strings.HasPrefix(err.Error(), "line 1: the header is") {
		t.Errorf("a wrong header: %v", err)
	}
}

// A problem after an empty line names the line as an editor numbers it.
func TestReadCSVCountsEmptyLines(t *testing.T) {
	_, err := ReadCSV(strings.NewReader("code,name,level,parent_code,valid_from,valid_to\n" +
		"T1,Tỉnh Thử,province,,2025-07-01,\n" +
		"\n" +
		"T2,,province,,2025-07-01,\n"))
	if err == nil || err.Error() != "line 4, name: empty" {
		t.Errorf("the problem %v, want it on line 4", err)
	}
}
