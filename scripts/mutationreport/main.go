// Command mutationreport turns the JSON reports of a gremlins run (one per package, written by
// scripts/mutate.sh) into the mutation section of TESTING.md: the score per package as gremlins
// reports it, and every surviving mutant with the reason it survives, taken from the explained
// list (scripts/mutants-explained.tsv). A survivor nobody explained is listed as such and makes
// the command fail, so the figure cannot go stale quietly.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

const (
	sectionBegin    = "<!-- make mutate: begin (generated, do not edit by hand) -->"
	sectionEnd      = "<!-- make mutate: end -->"
	statusLived     = "LIVED"
	statusTimedOut  = "TIMED OUT"
	statusNotViable = "NOT VIABLE"
)

type report struct {
	Efficacy   float64 `json:"test_efficacy"`
	Coverage   float64 `json:"mutations_coverage"`
	Total      int     `json:"mutants_total"`
	Killed     int     `json:"mutants_killed"`
	Lived      int     `json:"mutants_lived"`
	NotViable  int     `json:"mutants_not_viable"`
	NotCovered int     `json:"mutants_not_covered"`
	Elapsed    float64 `json:"elapsed_time"`
	Files      []struct {
		Name      string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
}

// explanation says why one surviving mutant is not worth killing. It is matched by file,
// mutator and the trimmed text of the mutated line, not by line number, so it survives edits
// elsewhere in the file.
type explanation struct {
	file, mutator, lineText, reason string
}

type survivor struct {
	file, mutator, lineText, reason string
	line, column                    int
}

func main() {
	in := flag.String("in", ".data/mutate", "directory holding <package>.json reports")
	explained := flag.String("explained", "scripts/mutants-explained.tsv", "reasons for surviving mutants")
	out := flag.String("out", "TESTING.md", "markdown file whose generated section is replaced")
	packages := flag.String("packages", "vendors policyclient notify payloadcodec workflows", "packages, in report order")
	goal := flag.Float64("goal", 85, "efficacy goal per package, percent")
	flag.Parse()
	if err := run(*in, *explained, *out, strings.Fields(*packages), *goal); err != nil {
		fmt.Fprintln(os.Stderr, "mutationreport:", err)
		os.Exit(1)
	}
}

func run(in, explainedPath, out string, packages []string, goal float64) error {
	reasons, err := readExplanations(explainedPath)
	if err != nil {
		return err
	}
	var section bytes.Buffer
	fmt.Fprintln(&section, sectionBegin)
	fmt.Fprintln(&section, "| package | killed | lived | not covered | timed out / not viable | efficacy | mutant coverage |")
	fmt.Fprintln(&section, "|---|---:|---:|---:|---:|---:|---:|")
	var all []survivor
	var failures []string
	for _, pkg := range packages {
		r, err := readReport(filepath.Join(in, pkg+".json"))
		if err != nil {
			return err
		}
		other := 0 // timed out or not viable: neither killed nor lived
		for _, f := range r.Files {
			for _, m := range f.Mutations {
				if m.Status == statusTimedOut || m.Status == statusNotViable {
					other++
				}
			}
		}
		fmt.Fprintf(&section, "| `%s/` | %d | %d | %d | %d | **%.1f%%** | %.1f%% |\n",
			pkg, r.Killed, r.Lived, r.NotCovered, other, r.Efficacy, r.Coverage)
		if r.Efficacy < goal {
			failures = append(failures, fmt.Sprintf("%s: efficacy %.1f%% under the %.0f%% goal", pkg, r.Efficacy, goal))
		}
		for _, f := range r.Files {
			path := filepath.ToSlash(filepath.Join(pkg, f.Name))
			lines, err := sourceLines(path)
			if err != nil {
				return err
			}
			for _, m := range f.Mutations {
				if m.Status != statusLived {
					continue
				}
				s := survivor{file: path, mutator: m.Type, line: m.Line, column: m.Column}
				if m.Line >= 1 && m.Line <= len(lines) {
					s.lineText = strings.TrimSpace(lines[m.Line-1])
				}
				s.reason = reasons.find(s)
				all = append(all, s)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].file != all[j].file {
			return all[i].file < all[j].file
		}
		if all[i].line != all[j].line {
			return all[i].line < all[j].line
		}
		return all[i].column < all[j].column
	})
	fmt.Fprintln(&section)
	fmt.Fprintf(&section, "Surviving mutants (%d), each with the reason it survives:\n\n", len(all))
	for _, s := range all {
		reason := s.reason
		if reason == "" {
			reason = "UNEXPLAINED"
			failures = append(failures, fmt.Sprintf("%s:%d:%d %s survives unexplained", s.file, s.line, s.column, s.mutator))
		}
		fmt.Fprintf(&section, "- `%s:%d:%d` %s, `%s`: %s\n", s.file, s.line, s.column, s.mutator, s.lineText, reason)
	}
	fmt.Fprintln(&section, sectionEnd)
	if err := replaceSection(out, section.Bytes()); err != nil {
		return err
	}
	if len(failures) > 0 {
		return errors.New(strings.Join(failures, "; "))
	}
	return nil
}

func readReport(path string) (report, error) {
	var r report
	b, err := os.ReadFile(path)
	if err != nil {
		return r, fmt.Errorf("no report %s: run scripts/mutate.sh first (%w)", path, err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("report %s: %w", path, err)
	}
	return r, nil
}

func sourceLines(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("source of a mutant: %w", err)
	}
	return strings.Split(string(b), "\n"), nil
}

type explanations []explanation

func (es explanations) find(s survivor) string {
	for _, e := range es {
		if e.file == s.file && e.mutator == s.mutator && strings.Contains(s.lineText, e.lineText) {
			return e.reason
		}
	}
	return ""
}

// readExplanations reads "file<TAB>MUTATOR<TAB>text of the mutated line<TAB>reason" lines;
// blank lines and lines starting with # are skipped.
func readExplanations(path string) (explanations, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("explained mutants: %w", err)
	}
	defer f.Close()
	var es explanations
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != 4 || fields[2] == "" || fields[3] == "" {
			return nil, fmt.Errorf("%s:%d: want file, mutator, line text and reason separated by tabs", path, n)
		}
		es = append(es, explanation{file: fields[0], mutator: fields[1], lineText: fields[2], reason: fields[3]})
	}
	return es, sc.Err()
}

func replaceSection(path string, section []byte) error {
	doc, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	begin := bytes.Index(doc, []byte(sectionBegin))
	end := bytes.Index(doc, []byte(sectionEnd))
	if begin < 0 || end < begin {
		return fmt.Errorf("%s has no %q ... %q section", path, sectionBegin, sectionEnd)
	}
	var b bytes.Buffer
	b.Write(doc[:begin])
	b.Write(bytes.TrimSuffix(section, []byte("\n")))
	b.Write(doc[end+len(sectionEnd):])
	return os.WriteFile(path, b.Bytes(), 0o644)
}
