package report

import (
	"fmt"
	"html"
	"sort"
	"strings"

	"github.com/exportimage/eic/steps"
)

// chartSeries are the bar segments, in drawing order, with their colours (the page's CSS
// uses the same ones for the status badges).
var chartSeries = []struct{ key, label, colour string }{
	{"passed", "passed", "#1a7f37"},
	{"failed", "failed", "#cf222e"},
	{"assumption", "assumption not met", "#bf8700"},
	{"skipped", "skipped", "#8c959f"},
}

// featureChart draws one horizontal stacked bar per feature file (passed, failed, assumption
// failures, skipped), as inline SVG that scales to the page width. Each segment has a
// <title>, and the counts are written beside the bar, so the chart reads without colour.
func featureChart(results []steps.ScenarioResult) string {
	counts := map[string]map[string]int{}
	for _, s := range results {
		file, _, _ := strings.Cut(s.Location, ":")
		if counts[file] == nil {
			counts[file] = map[string]int{}
		}
		key := s.Status
		switch {
		case s.Status == "undefined":
			key = "failed"
		case s.Status == "failed" && s.Assumption():
			key = "assumption"
		}
		counts[file][key]++
	}
	files := make([]string, 0, len(counts))
	most := 1
	for f, c := range counts {
		files = append(files, f)
		total := 0
		for _, n := range c {
			total += n
		}
		if total > most {
			most = total
		}
	}
	sort.Strings(files)
	const labelW, barW, countW, rowH, top = 230.0, 420.0, 250.0, 22.0, 30.0
	width := labelW + barW + countW
	height := top + rowH*float64(len(files)) + 8
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-labelledby="chart-title" viewBox="0 0 %.0f %.0f" width="100%%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">`, width, height)
	b.WriteString(`<title id="chart-title">Scenario results per feature file</title>`)
	x := 0.0
	for _, s := range chartSeries {
		fmt.Fprintf(&b, `<rect x="%.0f" y="6" width="12" height="12" fill="%s"/><text x="%.0f" y="16" class="legend">%s</text>`, x, s.colour, x+16, s.label)
		x += 30 + 7.5*float64(len(s.label))
	}
	for i, f := range files {
		y := top + rowH*float64(i)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end" class="label">%s</text>`, labelW-8, y+14, html.EscapeString(f))
		x := labelW
		var parts []string
		for _, s := range chartSeries {
			n := counts[f][s.key]
			if n == 0 {
				continue
			}
			w := barW * float64(n) / float64(most)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.0f" width="%.1f" height="16" fill="%s"><title>%s: %d %s</title></rect>`,
				x, y+2, w, s.colour, html.EscapeString(f), n, s.label)
			x += w
			parts = append(parts, fmt.Sprintf("%d %s", n, s.label))
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" class="count">%s</text>`, x+6, y+14, html.EscapeString(strings.Join(parts, ", ")))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
