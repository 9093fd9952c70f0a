package report_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hoctap/flows"
	"hoctap/locales"
	"hoctap/report"
	"hoctap/scoring"
)

// workbook is Hà Nội's figures with two indicators missed and two of
// its 3,400 assessments listed.
func workbook() flows.Workbook {
	total, passed := 85.0, true
	sent := time.Date(2026, 5, 4, 23, 30, 0, 0, time.UTC) // 06:30 on the 5th in Vietnam
	wb := flows.Workbook{Progress: province(),
		Misses: flows.Misses{Built: sent, List: []flows.Miss{
			{Kind: scoring.KindFamily, SetID: "family-2015", Code: "1.1", Assessed: 40, Missed: 10},
			{Kind: scoring.KindFamily, SetID: "family-2015", Code: "9.9", Assessed: 40, Missed: 1},
		}},
		InScope: []flows.InScope{
			{ID: 7, Kind: scoring.KindFamily, Subject: "Nhà Ông Ba", Area: flows.Area{Code: "00004.1", Name: scoring.Text{VI: "Thôn Đông"}},
				State: flows.StateRecognised, Total: &total, Passed: &passed, Submitted: &sent},
			{ID: 9, Kind: scoring.KindClan, Subject: "Họ Nguyễn", Area: flows.Area{Code: "00004.1", Name: scoring.Text{VI: "Thôn Đông"}},
				State: flows.StateOpen},
		}}
	wb.Titles[0].Counts[flows.StateOpen] = 3400 - wb.Assessed()
	return wb
}

// TestWorkbookSheets: the workbook has the summary, a sheet per title
// with a row per child area, the missed indicators with their texts and
// the assessments listed, with their states, in the reader's language,
// saying how many it leaves out; shares are fractions shown as per
// cent, times are Vietnam's.
func TestWorkbookSheets(t *testing.T) {
	t.Parallel()
	sets, err := scoring.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.WriteXLSX(&buf, workbook(), sets, locales.For("vi")); err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	want := []string{"Tổng hợp", "Gia đình", "Dòng họ", "Cộng đồng", "Đơn vị", "Công dân", "Chỉ tiêu không đạt", "Bản đánh giá"}
	if got := book.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("the sheets %v, want %v", got, want)
	}
	rows := func(sheet string) [][]string {
		t.Helper()
		r, err := book.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := rows("Gia đình"); len(r) != 3+20 || r[3][0] != "00004" || r[3][1] != "Phường Ba Đình" || r[3][11] != "30.00%" {
		t.Errorf("the families' sheet: %d rows, the first %q", len(r), r[min(3, len(r)-1)])
	}
	misses := rows("Chỉ tiêu không đạt")
	if len(misses) != 5 || !strings.HasPrefix(misses[1][0], "Tính lúc 06:30 05/05/2026") {
		t.Fatalf("the misses' sheet: %q", misses)
	}
	first := misses[3]
	if first[0] != "Gia đình học tập" || first[2] != "1.1" || !strings.Contains(first[3], "Trẻ em") || first[4] != "40" || first[5] != "10" || first[6] != "25.00%" {
		t.Errorf("the most often missed: %q", first)
	}
	if unknown := misses[4]; unknown[2] != "9.9" || len(unknown) < 4 || unknown[3] != "" {
		t.Errorf("an indicator no set has: %q", unknown)
	}
	listed := rows("Bản đánh giá")
	if len(listed) != 5 || listed[1][0] != "Liệt kê 2 trong 3.400 bản; tệp Excel của từng xã, phường liệt kê đủ các bản của nơi đó." {
		t.Fatalf("the assessments' sheet: %q", listed)
	}
	if got, want := listed[3], []string{"7", "Gia đình học tập", "Nhà Ông Ba", "00004.1", "Thôn Đông", "được công nhận", "85", "đạt", "5/5/26 06:30"}; !slices.Equal(got, want) {
		t.Errorf("a recognised assessment: %q, want %q", got, want)
	}
	if got, want := listed[4], []string{"9", "Dòng họ học tập", "Họ Nguyễn", "00004.1", "Thôn Đông", "đang tự đánh giá"}; !slices.Equal(got, want) {
		t.Errorf("one in progress: %q, want %q", got, want)
	}
}

// TestWorkbookInEnglish: the sheets and the states are in the reader's
// language; a workbook that lists every assessment says nothing of more.
func TestWorkbookInEnglish(t *testing.T) {
	t.Parallel()
	sets, err := scoring.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	wb := workbook()
	for i := range wb.Titles {
		wb.Titles[i].Counts = map[string]int{}
	}
	wb.Titles[0].Counts[flows.StateRecognised] = 1
	wb.Titles[1].Counts[flows.StateOpen] = 1
	var buf bytes.Buffer
	if err := report.WriteXLSX(&buf, wb, sets, locales.For("en")); err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got := book.GetSheetList(); got[0] != "Summary" || got[7] != "Assessments" {
		t.Errorf("the sheets %v", got)
	}
	listed, err := book.GetRows("Assessments")
	if err != nil {
		t.Fatal(err)
	}
	if len(listed[1]) != 0 || listed[3][5] != "recognised" || listed[4][5] != "in progress" {
		t.Errorf("the assessments' sheet: %q", listed)
	}
}
