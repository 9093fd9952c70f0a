package report

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/go-analyze/charts"
	"golang.org/x/text/unicode/norm"

	"hoctap/flows"
	"hoctap/locales"
)

// Chart sizes: wide enough for Telegram to show it sharp on a phone.
const (
	ChartWidth   = 1000
	titlesHeight = 380
	rankedBar    = 34 // the height each ranked child area takes
	MaxRanked    = 15 // child areas the chart ranks
)

// Chart draws an area's figures as a PNG: the share recognised per title
// beside its 2025 target, then the child areas ranked by the share of
// Learning Families recognised, the lowest last; of more than MaxRanked
// areas, the MaxRanked lowest.
// Bars are horizontal, so that no area's name is dropped for want of
// room; every text is NFC, as the font's glyphs are precomposed; the
// font is go-analyze's Roboto, which has every Vietnamese letter.
func Chart(p flows.Progress, pr *locales.Printer) ([]byte, error) {
	lang := pr.Lang()
	ranked := slices.Clone(p.Children)
	slices.SortStableFunc(ranked, func(a, b flows.AreaFigures) int { return cmp.Compare(b.Titles[0].Share(), a.Titles[0].Share()) })
	rankedTitle := "report.chart.ranked"
	if len(ranked) > MaxRanked {
		// The laggards are what a leader acts on: keep the lowest.
		ranked = ranked[len(ranked)-MaxRanked:]
		rankedTitle = "report.chart.lowest"
	}
	height := titlesHeight
	if len(ranked) > 0 {
		height += 120 + rankedBar*len(ranked)
	}
	painter := charts.NewPainter(charts.PainterOptions{OutputFormat: charts.ChartOutputPNG, Width: ChartWidth, Height: height})

	var names []string
	shares, targets := []float64{}, []float64{}
	for _, f := range p.Titles {
		names = append(names, nfc(pr.T("kind."+string(f.Kind))))
		shares = append(shares, round1(f.Share()))
		target := 0.0
		for _, g := range f.Goals {
			if g.Year == 2025 {
				target = g.Share
			}
		}
		targets = append(targets, target)
	}
	// The category axis of a horizontal chart runs bottom up: reverse, so
	// that the first title stands at the top.
	slices.Reverse(names)
	slices.Reverse(shares)
	slices.Reverse(targets)
	top := painter.Child(charts.PainterBoxOption(charts.NewBox(0, 0, ChartWidth, titlesHeight)))
	if err := top.BarChart(barOption(
		nfc(pr.T("report.chart.titles", map[string]any{"Area": p.Area.Name.In(lang), "Year": p.Year})),
		names, [][]float64{shares, targets},
		[]string{nfc(pr.T("report.chart.share")), nfc(pr.T("report.chart.target", map[string]any{"Year": 2025}))})); err != nil {
		return nil, fmt.Errorf("draw the chart: %w", err)
	}
	if len(ranked) > 0 {
		var areas []string
		var values []float64
		for i := len(ranked) - 1; i >= 0; i-- {
			areas = append(areas, nfc(ranked[i].Area.Name.In(lang)))
			values = append(values, round1(ranked[i].Titles[0].Share()))
		}
		bottom := painter.Child(charts.PainterBoxOption(charts.NewBox(0, titlesHeight, ChartWidth, height)))
		if err := bottom.BarChart(barOption(nfc(pr.T(rankedTitle, map[string]any{"Count": len(ranked), "Of": len(p.Children)})),
			areas, [][]float64{values}, nil)); err != nil {
			return nil, fmt.Errorf("draw the chart: %w", err)
		}
	}
	png, err := painter.Bytes()
	if err != nil {
		return nil, fmt.Errorf("draw the chart: %w", err)
	}
	return png, nil
}

// barOption is a horizontal bar chart on a fixed 0–100 axis stepped by
// 10, with its values written at the bars' ends.
func barOption(title string, labels []string, values [][]float64, series []string) charts.BarChartOption {
	zero, hundred := 0.0, 100.0
	opt := charts.BarChartOption{
		Horizontal:          true,
		Title:               charts.TitleOption{Text: title},
		CategoryAxis:        charts.CategoryAxisOption{Labels: labels},
		ValueAxis:           []charts.ValueAxisOption{{Min: &zero, Max: &hundred, Unit: 10}},
		SeriesList:          charts.NewSeriesListBar(values, charts.BarSeriesOption{Label: charts.SeriesLabel{Show: charts.Ptr(true)}}),
		SeriesLabelPosition: "right",
		Padding:             charts.NewBox(20, 20, 40, 20),
	}
	if len(series) > 0 {
		opt.Legend = charts.LegendOption{SeriesNames: series, Offset: charts.OffsetRight}
	}
	return opt
}

// nfc composes a text's letters: a decomposed "Ứ" would lose its accent.
func nfc(s string) string { return norm.NFC.String(s) }

func round1(v float64) float64 { return float64(int(v*10+0.5)) / 10 }
