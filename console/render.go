package console

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/coverage-orchestrator/coverage/engagement"
)

// pageNames are the page templates; each defines "content" inside layout.html.
var pageNames = []string{"login", "error", "overview", "engagement", "queues", "ledger"}

var funcs = template.FuncMap{
	"date": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format(dateLayout)
	},
	"datetime": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"unixdate": func(sec int64) string {
		if sec == 0 {
			return "open-ended"
		}
		return time.Unix(sec, 0).UTC().Format(dateLayout)
	},
	"days":        func(d float64) string { return fmt.Sprintf("%.1f", d) },
	"length":      length,
	"statusClass": func(s any) string { return "st-" + strings.ToLower(strings.ReplaceAll(fmt.Sprint(s), "_", "-")) },
	"money": func(cents int64, wageType string) string {
		unit := ""
		if wageType == "hourly" {
			unit = " per hour"
		}
		return fmt.Sprintf("$%d.%02d%s", cents/100, cents%100, unit)
	},
	"actionLabel":    func(a string) string { return actionLabels[a] },
	"engagementPath": engagementPath,
	"actionPath": func(vendor, id, action string) string {
		return engagementPath(vendor, id) + "/actions/" + action
	},
	"requestID": randomID,
	"isAction":  func(a, want string) bool { return a == want },
	"actions": func() map[string]string {
		return map[string]string{"retry": engagement.ActionRetry, "resend": engagement.ActionResendSession,
			"approve": engagement.ActionApproveCertificate, "reject": engagement.ActionRejectCertificate, "end": engagement.ActionEnd}
	},
	"prefix": func() string { return Prefix },
}

func parsePages() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		out[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}

// render writes a page; the page is built in memory first, so a template failure is a clean 500.
func (c *Console) render(w http.ResponseWriter, name string, v *view) error {
	var buf bytes.Buffer
	if err := c.pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, err := buf.WriteTo(w)
	return err
}

// length writes an interval's length in the unit that reads best (a gap of seconds between two
// steps is real, and "0.0 days" would hide it).
func length(i Interval) string {
	d := i.End.Sub(i.Start)
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%.1f days", d.Hours()/24)
	case d >= time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	case d >= time.Minute:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	}
	return fmt.Sprintf("%d s", int(d.Seconds()))
}
