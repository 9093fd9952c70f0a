package xlsx

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"

	"hoctap/scoring"
)

func ptr(v float64) *float64 { return &v }

func text(vi, en string) scoring.Text { return scoring.Text{VI: vi, EN: en} }

// fullSet returns a valid set that uses every feature of the model.
func fullSet() *scoring.Set {
	return &scoring.Set{
		ID:         "full-2024",
		Version:    3,
		Kind:       scoring.KindUnit,
		Status:     scoring.StatusWithdrawn,
		ReplacedBy: "full-2025@1",
		Title:      text("Đơn vị học tập", "Learning Unit"),
		Issuer:     text("Hội Khuyến học tỉnh", "Provincial association"),
		References: []scoring.Reference{
			{Number: "12/QĐ-KH", Date: "2024-01-15", Note: text("Quyết định", "Decision")},
			{Number: "2024"},
		},
		Jurisdiction: "01",
		Years:        scoring.Years{From: 2024, To: 2025},
		Note:         text("Ghi chú\ndòng hai", "A note\non two lines"),
		MaxPoints:    100,
		Rules: scoring.Rules{
			PassMark:           scoring.PassMark{Normal: 80, Hardship: ptr(67.5)},
			IndicatorMinPoints: 1,
			NotApplicable:      scoring.NARescale,
		},
		Conditions: []scoring.Condition{
			{Code: "C1", Text: text("Đã đăng ký", "Registered"), Guidance: text("Xem sổ", "See the register")},
			{Code: "C2", Text: text("Không vi phạm", "No breach")},
		},
		Criteria: []scoring.Criterion{
			{
				Code: "1", Text: text("Học tập", "Learning"), MaxPoints: 42.5, MinPoints: 20,
				Certainty: scoring.PartlyConfirmed,
				Indicators: []scoring.Indicator{
					{
						Code: "1.1", Text: text("Có kế hoạch", "Has a plan"), Guidance: text("Kế hoạch năm", "A yearly plan"),
						Kind: scoring.AnswerYesNo, MaxPoints: 10, NotApplicable: true,
						Evidence: scoring.Evidence{Rule: scoring.EvidenceRequired, MinPhotos: 2, Hint: text("Ảnh kế hoạch", "A photo of the plan")},
					},
					{
						Code: "1.2", Text: text("Mức độ", "Level"), Kind: scoring.AnswerChoice, MaxPoints: 12.5, MinPoints: 2.5,
						Certainty: scoring.NotConfirmed,
						Options: []scoring.Option{
							{Code: "high", Text: text("Cao", "High"), Points: 12.5},
							{Code: "mid", Text: text("Vừa", "Middle"), Points: 2.5},
							{Code: "low", Text: text("Thấp", "Low"), Points: 0},
						},
						Evidence: scoring.Evidence{Rule: scoring.EvidenceOptional, Hint: text("Ảnh", "A photo")},
					},
					{
						Code: "1.10", Text: text("Số buổi", "Sessions"), Kind: scoring.AnswerNumber, MaxPoints: 10,
						Unit:  text("buổi", "sessions"),
						Range: &scoring.Range{Min: 0},
						Bands: []scoring.Band{
							{Min: 0, Max: ptr(2), Points: 0},
							{Min: 2, Max: ptr(5.5), Points: 5},
							{Min: 5.5, Points: 10},
						},
						Certainty: scoring.Confirmed,
						Evidence:  scoring.Evidence{Rule: scoring.EvidenceNone},
					},
					{
						Code: "1.4", Text: text("Giờ học", "Hours"), Kind: scoring.AnswerNumber, MaxPoints: 10,
						Range: &scoring.Range{Min: 1, Max: ptr(24)},
						Bands: []scoring.Band{
							{Min: 1, Max: ptr(12), Points: 5},
							{Min: 12, Max: ptr(24), Points: 10},
						},
					},
				},
			},
			{
				Code: "2", Text: text("Kết quả", "Results"), MaxPoints: 57.5,
				Indicators: []scoring.Indicator{
					{
						Code: "2.1", Text: text("Tỉ lệ", "Share"), Kind: scoring.AnswerRatio, MaxPoints: 20,
						Bands: []scoring.Band{
							{Min: 0, Max: ptr(33.3333), Points: 0},
							{Min: 33.3333, Max: ptr(100), Points: 20},
						},
					},
					{
						Code: "2.2", Text: text("Đánh giá", "Review"), Kind: scoring.AnswerReviewer, MaxPoints: 30,
					},
					{
						Code: "2.3", Text: text("Số sách", "Books"), Kind: scoring.AnswerNumber, MaxPoints: 7.5,
						Bands: []scoring.Band{
							{Min: 0, Max: ptr(10), Points: 1},
							{Min: 10, Points: 7.5},
						},
					},
				},
			},
		},
	}
}

// roundTrip exports s and imports it again.
func roundTrip(t *testing.T, s *scoring.Set) *scoring.Set {
	t.Helper()
	var buf bytes.Buffer
	if err := Export(&buf, s); err != nil {
		t.Fatalf("Export: %v", err)
	}
	got, err := Import(s.ID+".xlsx", &buf)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return got
}

func TestRoundTrip(t *testing.T) {
	if ps := scoring.Validate("full", fullSet()); len(ps) > 0 {
		t.Fatalf("the full set does not validate:\n%v", ps)
	}
	sets := []*scoring.Set{fullSet()}
	catalog, err := scoring.Shipped()
	if err != nil {
		t.Fatalf("Shipped: %v", err)
	}
	if len(catalog.Sets()) == 0 {
		t.Fatal("no shipped set")
	}
	sets = append(sets, catalog.Sets()...)
	for _, s := range sets {
		t.Run(s.Ref(), func(t *testing.T) {
			// reflect.DeepEqual tells a nil pointer (Range, Band.Max,
			// PassMark.Hardship) from a pointer to zero.
			if got := roundTrip(t, s); !reflect.DeepEqual(got, s) {
				t.Errorf("the set changed:\n got %+v\nwant %+v", got, s)
			}
		})
	}
}

func TestRoundTripPointers(t *testing.T) {
	s := fullSet()
	s.Criteria[0].Indicators[2].Range = &scoring.Range{} // 0, open-ended
	got := roundTrip(t, s)
	inds := got.Criteria[0].Indicators
	switch {
	case got.Rules.PassMark.Hardship == nil || *got.Rules.PassMark.Hardship != 67.5:
		t.Errorf("hardship pass mark: got %v", got.Rules.PassMark.Hardship)
	case inds[2].Range == nil || inds[2].Range.Max != nil || inds[2].Range.Min != 0:
		t.Errorf("open range from 0: got %+v", inds[2].Range)
	case inds[2].Bands[2].Max != nil:
		t.Errorf("open last band: got max %v", *inds[2].Bands[2].Max)
	case inds[0].Range != nil:
		t.Errorf("yes/no indicator: got range %+v", inds[0].Range)
	}
}

// TestReadable checks what a person sees: a bold, frozen header row and
// columns wide enough to read.
func TestReadable(t *testing.T) {
	var buf bytes.Buffer
	if err := Export(&buf, fullSet()); err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	if got := book.GetSheetList(); !reflect.DeepEqual(got, sheetNames) {
		t.Errorf("sheets: got %v, want %v", got, sheetNames)
	}
	for _, name := range sheetNames {
		panes, err := book.GetPanes(name)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: the header row is not frozen: %+v, %v", name, panes, err)
		}
		id, err := book.GetCellStyle(name, "A1")
		if err != nil {
			t.Fatal(err)
		}
		style, err := book.GetStyle(id)
		if err != nil || style.Font == nil || !style.Font.Bold {
			t.Errorf("%s: the header is not bold", name)
		}
	}
	if w, err := book.GetColWidth("indicators", "C"); err != nil || w != wide {
		t.Errorf("indicators text_vi column: width %v, %v", w, err)
	}
}
