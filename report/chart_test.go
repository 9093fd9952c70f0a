package report_test

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-analyze/charts"
	"golang.org/x/text/unicode/norm"

	"hoctap/flows"
	"hoctap/locales"
	"hoctap/report"
	"hoctap/scoring"
)

var update = flag.Bool("update", false, "rewrite the golden images")

// figures makes a title's figures: recognised of entities, with the
// national 2025 and 2030 targets.
func figures(kind scoring.Kind, recognised, entities int, target float64) flows.Figures {
	return flows.Figures{
		Kind: kind, Entities: entities, Official: true, CountsYear: 2025, MonthStart: -1,
		Counts: map[string]int{flows.StateRegistered: entities, flows.StateRecognised: recognised},
		Goals:  []flows.Goal{{Year: 2025, Share: target, Confirmed: true}, {Year: 2030, Share: target + 5, Confirmed: true}},
	}
}

func area(code, name string, family int) flows.AreaFigures {
	return flows.AreaFigures{
		Area: flows.Area{Code: code, Name: scoring.Text{VI: name}, Level: "commune"},
		Titles: []flows.Figures{
			figures(scoring.KindFamily, family, 1000, 70), figures(scoring.KindClan, 4, 10, 65),
			figures(scoring.KindCommunity, 12, 20, 65), figures(scoring.KindUnit, 3, 5, 80),
			figures(scoring.KindCitizen, 300, 2500, 20),
		},
	}
}

// province is Hà Nội with twenty communes whose names carry many of the
// language's marks, one of them written decomposed (NFD), as some
// keyboards and spreadsheets hand it over.
func province() flows.Progress {
	names := []string{"Phường Ba Đình", "Phường Hoàn Kiếm", "Xã Sóc Sơn", "Phường Hồng Hà", "Xã Ứng Hòa",
		"Phường Long Biên", "Xã Thư Lâm", "Phường Tây Hồ", "Xã Mỹ Đức", "Phường Cầu Giấy",
		"Xã Quảng Oai", "Phường Đống Đa", "Xã Hương Sơn", "Phường Thanh Xuân", "Xã Phù Đổng",
		"Phường Hà Đông", "Xã Ô Diên", "Phường Yên Nghĩa", "Xã Bất Bạt", norm.NFD.String("Xã Quảng Bị")}
	p := flows.Progress{AreaFigures: area("01", "Thành phố Hà Nội", 612), Year: 2026}
	p.Area.Level = "province"
	for i, name := range names {
		p.Children = append(p.Children, area(fmt.Sprintf("%05d", i+4), name, 300+37*i%700))
	}
	return p
}

func TestChartIsAWidePNGLikeTheGolden(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		p    flows.Progress
		lang string
	}{
		{"province_vi", province(), "vi"},
		{"province_en", province(), "en"},
		{"no_children_vi", flows.Progress{AreaFigures: area("00004", "Phường Ba Đình", 500), Year: 2026}, "vi"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := report.Chart(c.p, locales.For(c.lang))
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(got))
			if err != nil {
				t.Fatalf("the chart is not a PNG: %v", err)
			}
			if w := img.Bounds().Dx(); w < 800 {
				t.Errorf("the chart is %d px wide, want at least 800 for a phone to show it sharp", w)
			}
			golden := filepath.Join("testdata", c.name+".png")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			raw, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./report -update to make it)", err)
			}
			want, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if diff := differ(img, want); diff != "" {
				out := filepath.Join(t.TempDir(), c.name+".png")
				_ = os.WriteFile(out, got, 0o644)
				t.Errorf("the chart differs from %s: %s; this run's chart is %s (go test ./report -update accepts it)", golden, diff, out)
			}
		})
	}
}

// differ says how two images differ, or "" when they are the same.
func differ(got, want image.Image) string {
	if got.Bounds() != want.Bounds() {
		return fmt.Sprintf("size %v, want %v", got.Bounds().Size(), want.Bounds().Size())
	}
	n := 0
	b := got.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r1, g1, b1, a1 := got.At(x, y).RGBA()
			r2, g2, b2, a2 := want.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				n++
			}
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d pixels", n, b.Dx()*b.Dy())
}

// TestChartFontHasEveryVietnameseLetter checks the chart's font draws
// every letter of the alphabet with each of the five tone marks, upper
// and lower case, as the precomposed letters NFC makes of them.
func TestChartFontHasEveryVietnameseLetter(t *testing.T) {
	t.Parallel()
	font := charts.GetDefaultFont()
	tones := []string{"", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"} // huyền, hỏi, ngã, sắc, nặng
	letters := []string{"b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "q", "r", "s", "t", "v", "x"}
	for _, v := range []string{"a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y"} {
		for _, tone := range tones {
			letters = append(letters, norm.NFC.String(v+tone))
		}
	}
	if len(letters) != 17+12*6 {
		t.Fatalf("made %d letters", len(letters))
	}
	for _, l := range letters {
		for _, s := range []string{l, norm.NFC.String(strings.ToUpper(l))} {
			r := []rune(s)
			if len(r) != 1 {
				t.Errorf("%q is not one precomposed letter", s)
				continue
			}
			if font.Index(r[0]) == 0 {
				t.Errorf("the chart's font has no glyph for %q (U+%04X)", s, r[0])
			}
		}
	}
}
